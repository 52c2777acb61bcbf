"""`renkei passing-audit` lists what was passed on before the pass-on rule, and nothing else."""

import json
from io import StringIO

from django.core.management import call_command

from renkei.communities import services as community_services
from renkei.communities.models import Topic, TopicRevision
from renkei.intel import services as intel_services
from renkei.intel.models import StixObject, StixTopicLink


def _audit() -> list[dict]:
    out = StringIO()
    call_command("passing_audit", json=True, language="en", stdout=out, stderr=StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _legacy_copy(topic: Topic, community, author) -> Topic:
    """A copy written as the old re-share did, past every check."""
    return Topic.objects.create(
        public_id=f"{topic.public_id[:9]}9{topic.public_id[10:]}", community=community,
        title=topic.title, kind=topic.kind, tlp=topic.tlp, author=author,
        author_organisation=author.organisation, shared_from=topic)


def test_lists_an_amber_copy_in_a_wider_community_and_leaves_allowed_ones_alone(world, post):
    w = world
    community_services.add_member(actor=w.beta_admin, community=w.open, organisation=w.gamma)
    amber = post(w.alice, w.isac, "ISAC の AMBER", tlp="amber")
    green = post(w.alice, w.isac, "ISAC の GREEN", tlp="green")
    copy = _legacy_copy(amber, w.open, w.bob)
    _legacy_copy(green, w.open, w.bob)

    found = _audit()

    assert [(f["kind"], f["item"]) for f in found] == [("reshare", amber.public_id)]
    assert copy.public_id in found[0]["where"] and "TLP:AMBER" in found[0]["reason"]


def test_lists_an_edit_that_widened_another_organisations_tlp(world, post):
    w = world
    topic = post(w.alice, w.isac, "赤", tlp="red", audience_mode="chosen",
                 audience_organisations=[w.alpha])
    TopicRevision.objects.create(topic=topic, edited_by=w.bob, title=topic.title,
                                 kind=topic.kind, reader_level=topic.reader_level, tlp="red")
    Topic.objects.filter(pk=topic.pk).update(tlp="green", audience_mode="members")
    own = post(w.alice, w.isac, "自組織", tlp="amber")
    TopicRevision.objects.create(topic=own, edited_by=w.alice2, title=own.title,
                                 kind=own.kind, reader_level=own.reader_level, tlp="red")

    found = _audit()

    assert [(f["kind"], f["item"], f["where"]) for f in found] == [
        ("edit", topic.public_id, w.bob.email)]


def test_lists_indicators_made_from_a_report_into_another_community(world, post):
    w = world
    report = post(w.alice, w.window, "被害報告 10.1.2.3", tlp="green")
    indicator = {"type": "indicator", "spec_version": "2.1",
                 "id": "indicator--0b3c3f5e-2a42-4c59-8d1e-6c1b0a6f0001",
                 "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
                 "pattern": "[ipv4-addr:value = '10.1.2.3']", "pattern_type": "stix",
                 "valid_from": "2026-11-01T00:00:00Z"}
    result = intel_services.ingest([indicator], user=w.commander, community=w.general,
                                   source="api")
    (stored,) = result.objects
    StixTopicLink.objects.create(stix_object_id=stored.pk, topic=report)

    found = _audit()

    assert [(f["kind"], f["where"]) for f in found] == [("indicator", w.general.name)]
    assert report.public_id in found[0]["item"]
    assert StixObject.objects.count() == 1  # the audit changes nothing

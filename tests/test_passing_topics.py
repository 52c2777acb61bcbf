"""The pass-on rule on topics, through real HTTP and the services: re-sharing into another
community, edits that widen or narrow TLP and audience, and the edit history (issue 10).

The world of conftest.py, with the open community 関東地域コミュニティ made into one that other
organisations take part in (gamma, and in some tests alpha and the ministry)."""

import importlib
import json

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import translation

from renkei.accounts.models import AuditEntry
from renkei.accounts.services import create_user, issue_api_token
from renkei.communities import services
from renkei.communities.models import Topic, TopicRevision
from renkei.errors import ServiceError
from renkei.sharing.models import TLP, AudienceMode
from renkei.sharing.visibility import readable_topics, revision_readable

pytestmark = pytest.mark.django_db

CONSULTATION = ("Reports in the consultation window stay there; the centre passes them on only "
                "as a reviewed sanitised summary.")
AMBER = ("TLP:AMBER information cannot be shared into a community that other organisations "
         "take part in; only the organisation it came from may widen it.")
AMBER_JA = "TLP:AMBER の情報は他の組織が参加するコミュニティへ共有できません"
RED = "TLP:RED information stays with the people it names; it cannot be passed on to anyone else."
WIDER_TLP = ("Only the organisation that wrote this may make its TLP wider (TLP:RED to "
             "TLP:GREEN); you may make it stricter.")
WIDER_AUDIENCE = "Only the organisation that wrote this may widen its audience; you may narrow it."


def url(name: str, *args) -> str:
    return reverse(f"communities:{name}", args=args)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def snapshot() -> dict:
    """What a refused move must leave as it was."""
    return {"topics": list(Topic.objects.order_by("id").values()),
            "revisions": list(TopicRevision.objects.order_by("id").values()),
            # Issuing the API token the test uses is audited too; that is not the move.
            "audit": AuditEntry.objects.exclude(action="token.create").count()}


def form_of(topic: Topic, **fields) -> dict:
    """The edit form as the page posts it: the topic's values, with some changed."""
    data = {"title": topic.title, "tag": topic.tag, "kind": topic.kind,
            "reader_level": topic.reader_level, "tlp": topic.tlp,
            "audience_mode": topic.audience_mode, "body": topic.body,
            "audience_organisations": [o.id for o in topic.audience_organisations.all()],
            "audience_users": [u.id for u in topic.audience_users.all()]}
    data.update(fields)
    return data


def api_patch(user, topic: Topic, body: dict):
    _token, raw = issue_api_token(user=user, name="test")
    return Client().patch(f"/api/v1/topics/{topic.public_id}", json.dumps(body),
                          content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}",
                          HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def shared_open(english):
    """The open community, taken part in by gamma (Charlie) as well as beta."""
    world = english
    services.join_community(actor=world.charlie, community=world.open)
    return world


# --- re-share ------------------------------------------------------------------------------

def test_a_report_named_to_a_ministry_is_not_reshared_into_an_open_community(
        shared_open, as_user, post):
    """The demo's first reproduction: the organising committee, named on a railway's AMBER
    report, re-shared it into the open community every organisation belongs to."""
    world = shared_open
    committee = create_user(email="staff@ministry.example", name="省 職員",
                            organisation=world.ministry, password=world.password, language="en")
    services.join_community(actor=committee, community=world.open)
    report = post(world.alice2, world.window, "社内ネットワークへの侵入", tlp=TLP.AMBER,
                  body="10.1.2.3 から横展開", audience_mode=AudienceMode.CHOSEN,
                  audience_organisations=[world.ministry])
    client = as_user(committee)
    page = client.get(url("topic", report.public_id))
    assert page.status_code == 200
    assert CONSULTATION in page.content.decode()
    assert world.open not in set(page.context["reshare_form"].fields["community"].queryset
                                 if page.context["reshare_form"] else [])
    before = snapshot()
    response = client.post(url("reshare", report.public_id), {"community": world.open.id})
    assert response.status_code == 400
    assert messages_of(response) == [CONSULTATION]
    assert snapshot() == before
    # A member of another organisation in the open community still reads nothing of it.
    outsider = as_user(world.charlie)
    assert outsider.get(url("topic", report.public_id)).status_code == 404
    assert not Topic.objects.filter(community=world.open).exists()


@pytest.mark.parametrize("tlp", [TLP.CLEAR, TLP.GREEN, TLP.AMBER])
def test_a_report_leaves_the_window_at_no_marking(world, post, tlp):
    report = post(world.alice, world.window, "報告", tlp=tlp)
    with translation.override("en"), pytest.raises(ServiceError) as refused:
        services.reshare_topic(actor=world.commander, topic=report, community=world.general)
    assert refused.value.messages == [CONSULTATION]
    assert not Topic.objects.filter(community=world.general).exists()


def test_a_plain_isac_member_cannot_reshare_amber_into_the_open_community(
        shared_open, as_user, post):
    world = shared_open
    topic = post(world.alice, world.isac, "ISAC 内の観測情報", tlp=TLP.AMBER)
    client = as_user(world.bob)
    page = client.get(url("topic", topic.public_id))
    # The open community is not offered; the page says why.
    assert page.context["reshare_refusals"] == {AMBER: [world.window.name, world.open.name]}
    assert AMBER in page.content.decode()
    before = snapshot()
    response = client.post(url("reshare", topic.public_id), {"community": world.open.id})
    assert response.status_code == 400
    assert messages_of(response) == [AMBER]
    assert snapshot() == before
    assert as_user(world.charlie).get(url("topic", topic.public_id)).status_code == 404


def test_the_refusal_speaks_japanese_first(world, post):
    services.join_community(actor=world.charlie, community=world.open)
    topic = post(world.alice, world.isac, "ISAC 内の観測情報", tlp=TLP.AMBER)
    client = Client()
    client.force_login(world.bob)  # Bob has no language of his own: Japanese
    response = client.post(url("reshare", topic.public_id), {"community": world.open.id})
    assert response.status_code == 400
    (message,) = messages_of(response)
    assert message.startswith(AMBER_JA)


def test_amber_may_go_to_a_community_of_the_recipients_own_organisation(world, post):
    """TLP 2.0: AMBER goes to the recipient's own organisation (here: beta alone)."""
    topic = post(world.alice, world.isac, "ISAC 内の観測情報", tlp=TLP.AMBER)
    copy = services.reshare_topic(actor=world.bob, topic=topic, community=world.open)
    assert copy.community == world.open and copy.tlp == TLP.AMBER


def test_an_amber_copy_stays_with_the_readers_it_was_allowed_for(world, post):
    """Whoever joins the community later does not read a copy passed on for beta alone."""
    topic = post(world.alice, world.isac, "ISAC 内の観測情報", tlp=TLP.AMBER)
    copy = services.reshare_topic(actor=world.bob, topic=topic, community=world.open)
    assert copy.audience_mode == AudienceMode.CHOSEN
    assert set(copy.audience_organisations.all()) == {world.beta}

    services.join_community(actor=world.charlie, community=world.open)
    assert not readable_topics(world.charlie).filter(pk=copy.pk).exists()
    assert readable_topics(world.beta_admin).filter(pk=copy.pk).exists()
    green = post(world.alice, world.isac, "ISAC の GREEN", tlp=TLP.GREEN)
    green_copy = services.reshare_topic(actor=world.bob, topic=green, community=world.open)
    assert readable_topics(world.charlie).filter(pk=green_copy.pk).exists()


def test_the_originating_organisation_may_widen_amber(shared_open, as_user, post):
    world = shared_open
    services.join_community(actor=world.alice, community=world.open)
    topic = post(world.alice2, world.isac, "アルファからの共有", tlp=TLP.AMBER)
    client = as_user(world.alice)
    offered = client.get(url("topic", topic.public_id)).context["reshare_form"]
    assert world.open in set(offered.fields["community"].queryset)
    response = client.post(url("reshare", topic.public_id), {"community": world.open.id})
    copy = Topic.objects.get(community=world.open)
    assert response.status_code == 302 and response["Location"] == url("topic", copy.public_id)
    assert copy.tlp == TLP.AMBER and copy.shared_from == topic
    assert as_user(world.charlie).get(url("topic", copy.public_id)).status_code == 200
    # The copy keeps its origin (alpha): a reader in gamma may not pass it on further.
    elsewhere = services.create_community(actor=world.charlie, name="ガンマ地域", kind="open")
    services.join_community(actor=world.bob, community=elsewhere)
    with translation.override("en"), pytest.raises(ServiceError) as refused:
        services.reshare_topic(actor=world.charlie, topic=copy, community=elsewhere)
    assert refused.value.messages == [AMBER]


def test_green_is_reshared_into_the_open_community(shared_open, as_user, post):
    world = shared_open
    topic = post(world.alice, world.isac, "共有してよい情報", tlp=TLP.GREEN)
    client = as_user(world.bob)
    page = client.get(url("topic", topic.public_id))
    assert page.context["reshare_refusals"] == {}
    response = client.post(url("reshare", topic.public_id), {"community": world.open.id})
    assert response.status_code == 302
    copy = Topic.objects.get(community=world.open)
    assert as_user(world.charlie).get(url("topic", copy.public_id)).status_code == 200


def test_red_is_never_reshared(shared_open, as_user, post):
    world = shared_open
    topic = post(world.alice, world.isac, "赤", tlp=TLP.RED, audience_mode=AudienceMode.CHOSEN,
                 audience_users=[world.bob])
    client = as_user(world.bob)
    page = client.get(url("topic", topic.public_id))
    assert page.context["reshare_form"] is None
    assert page.context["reshare_refusals"] == {RED: [world.window.name, world.open.name]}
    before = snapshot()
    for target in (world.open, world.window):
        response = client.post(url("reshare", topic.public_id), {"community": target.id})
        assert response.status_code == 400 and messages_of(response) == [RED]
    assert snapshot() == before


def test_the_page_offers_no_more_than_the_service_accepts(shared_open, post):
    """Whatever the page leaves out, a forged form is refused by the service with the reason."""
    world = shared_open
    topic = post(world.alice, world.isac, "ISAC 内", tlp=TLP.AMBER_STRICT)
    with translation.override("en"), pytest.raises(ServiceError) as refused:
        services.reshare_topic(actor=world.bob, topic=topic, community=world.window)
    assert "TLP:AMBER+STRICT" in refused.value.messages[0]


# --- edits ---------------------------------------------------------------------------------

@pytest.fixture
def managed(shared_open):
    """Bob (beta) manages the ISAC of alpha; Charlie is in it in person and never named."""
    world = shared_open
    services.add_member(actor=world.alice, community=world.isac, user=world.bob, is_manager=True)
    services.add_member(actor=world.alice, community=world.isac, user=world.charlie)
    return world


def test_a_manager_who_is_not_the_author_cannot_mark_red_green(managed, as_user, post):
    world = managed
    topic = post(world.alice2, world.isac, "赤の原本", tlp=TLP.RED, body="秘密の詳細",
                 audience_mode=AudienceMode.CHOSEN, audience_users=[world.bob])
    client = as_user(world.bob)
    before = snapshot()
    response = client.post(url("topic_edit", topic.public_id),
                           form_of(topic, tlp="green", audience_mode="members",
                                   audience_users=[]))
    assert response.status_code == 400
    assert messages_of(response) == [WIDER_TLP]
    body = api_patch(world.bob, topic, {"tlp": "green", "audience_mode": "members"})
    assert body.status_code == 400 and body["Content-Type"].startswith("application/json")
    assert body.json()["error"] == WIDER_TLP
    assert snapshot() == before
    assert as_user(world.charlie).get(url("topic", topic.public_id)).status_code == 404


def test_a_manager_may_not_widen_the_audience_either(managed, post):
    world = managed
    topic = post(world.alice2, world.isac, "アルファ社内", tlp=TLP.AMBER,
                 audience_mode=AudienceMode.CHOSEN, audience_organisations=[world.alpha],
                 audience_users=[world.bob])
    response = api_patch(world.bob, topic, {"audience_mode": "members"})
    assert response.status_code == 400 and response.json()["error"] == WIDER_AUDIENCE
    response = api_patch(world.bob, topic, {"audience_users": [world.charlie.id]})
    assert response.status_code == 400 and response.json()["error"] == WIDER_AUDIENCE
    topic.refresh_from_db()
    assert topic.audience_mode == AudienceMode.CHOSEN and not topic.revisions.exists()


def test_a_manager_may_narrow(managed, as_user, post):
    world = managed
    topic = post(world.alice2, world.isac, "全員向け", tlp=TLP.GREEN)
    response = as_user(world.bob).post(
        url("topic_edit", topic.public_id),
        form_of(topic, tlp="red", audience_mode="chosen", audience_users=[world.bob.id]))
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.tlp == TLP.RED and topic.audience_mode == AudienceMode.CHOSEN
    # The title alone, at the same TLP and audience, widens nothing either.
    response = api_patch(world.bob, topic, {"title": "題名だけ直す"})
    assert response.status_code == 200, response.content
    assert as_user(world.charlie).get(url("topic", topic.public_id)).status_code == 404


def test_the_originating_organisation_may_widen(managed, post):
    world = managed
    topic = post(world.alice2, world.isac, "赤の原本", tlp=TLP.RED,
                 audience_mode=AudienceMode.CHOSEN, audience_users=[world.bob])
    response = api_patch(world.alice2, topic, {"tlp": "green", "audience_mode": "members"})
    assert response.status_code == 200, response.content
    topic.refresh_from_db()
    assert topic.tlp == TLP.GREEN and topic.audience_mode == AudienceMode.MEMBERS
    # The author's organisation admin may widen too (she reads it once it is AMBER for alpha).
    services.edit_topic(actor=world.alice2, topic=topic, title=topic.title, body="",
                        kind="advisory", tlp=TLP.AMBER, audience_mode=AudienceMode.CHOSEN,
                        audience_organisations=[world.alpha])
    response = api_patch(world.alice, topic, {"tlp": "clear", "audience_mode": "members"})
    assert response.status_code == 200, response.content


def test_a_manager_of_the_same_organisation_does_not_speak_for_it(managed, post):
    """Widening is the originating organisation's choice, made by the author or its admins."""
    world = managed
    colleague = create_user(email="mgr@alpha.example", name="アルファ 管理役", password="x" * 12,
                            organisation=world.alpha)
    services.add_member(actor=world.alice, community=world.isac, user=colleague,
                        is_manager=True)
    topic = post(world.alice2, world.isac, "赤の原本", tlp=TLP.RED,
                 audience_mode=AudienceMode.CHOSEN, audience_users=[colleague])
    with pytest.raises(ServiceError, match="TLP:RED から TLP:GREEN"):
        services.edit_topic(actor=colleague, topic=topic, title=topic.title, body="",
                            kind="advisory", tlp=TLP.GREEN, audience_mode=AudienceMode.MEMBERS)
    topic.refresh_from_db()
    assert topic.tlp == TLP.RED


# --- revisions and the history -------------------------------------------------------------

def test_each_revision_keeps_its_tlp_and_audience(world, post):
    topic = post(world.alice, world.isac, "初版", tlp=TLP.RED, audience_mode=AudienceMode.CHOSEN,
                 audience_organisations=[world.alpha], audience_users=[world.bob])
    services.edit_topic(actor=world.alice, topic=topic, title="第2版", body="", kind="advisory",
                        tlp=TLP.GREEN)
    revision = topic.revisions.get()
    assert revision.tlp == TLP.RED and revision.audience_mode == AudienceMode.CHOSEN
    assert revision.audience_organisation_ids == [world.alpha.id]
    assert revision.audience_user_ids == [world.bob.id]


@pytest.mark.parametrize("through", ["page", "api"])
def test_the_history_hides_a_red_original_from_the_wider_audience(managed, as_user, post,
                                                                  through):
    world = managed
    topic = post(world.alice, world.isac, "赤の原本の題", tlp=TLP.RED,
                 body="被害組織の内部アドレス", audience_mode=AudienceMode.CHOSEN,
                 audience_users=[world.alice2])
    sanitised = {"title": "サニタイズ版", "body": "一般向けの要約", "tlp": "green",
                 "audience_mode": "members"}
    if through == "page":
        response = as_user(world.alice).post(url("topic_edit", topic.public_id),
                                             form_of(topic, **sanitised, audience_users=[]))
        assert response.status_code == 302
    else:
        response = api_patch(world.alice, topic, sanitised)
        assert response.status_code == 200, response.content
    for reader in (world.bob, world.charlie):  # they read the GREEN version now, never the RED
        history = as_user(reader).get(url("topic_history", topic.public_id))
        assert history.status_code == 200
        content = history.content.decode()
        assert "一般向けの要約" in content
        assert "赤の原本の題" not in content and "被害組織の内部アドレス" not in content
        assert history.context["revisions"] == []
    named = as_user(world.alice2).get(url("topic_history", topic.public_id)).content.decode()
    assert "赤の原本の題" in named and "被害組織の内部アドレス" in named


def test_the_history_shows_what_a_reader_could_read_then(world, as_user, post):
    topic = post(world.alice, world.isac, "全員向けの初版", tlp=TLP.GREEN)
    services.edit_topic(actor=world.alice, topic=topic, title="社内向け", body="", kind="advisory",
                        tlp=TLP.AMBER, audience_mode=AudienceMode.CHOSEN,
                        audience_organisations=[world.alpha], audience_users=[world.bob])
    # Bob read the first version (all members) and reads the topic now: he sees it.
    content = as_user(world.bob).get(url("topic_history", topic.public_id)).content.decode()
    assert "全員向けの初版" in content


def test_revision_readable_follows_the_read_rule():
    def readable(**overrides):
        values = dict(reader_id=5, reader_organisation_id=50, reader_is_centre=False,
                      tlp=TLP.GREEN, audience_mode=AudienceMode.MEMBERS, organisation_ids=[],
                      user_ids=[], author_id=1, author_organisation_id=10,
                      in_consultation=False)
        return revision_readable(**{**values, **overrides})

    assert readable()
    assert not readable(tlp=TLP.RED)  # RED never reads as "all members"
    assert not readable(in_consultation=True)  # a report: the centre and its organisation
    assert readable(in_consultation=True, reader_is_centre=True)
    assert readable(in_consultation=True, reader_organisation_id=10)
    chosen = {"audience_mode": AudienceMode.CHOSEN, "tlp": TLP.RED}
    assert not readable(**chosen)
    assert readable(**chosen, organisation_ids=[50])
    assert readable(**chosen, user_ids=[5])
    assert readable(**chosen, author_id=5)
    assert not readable(**chosen, reader_is_centre=True)  # RED stays with its named people


def test_existing_revisions_are_backfilled_conservatively(world, post):
    migration = importlib.import_module("renkei.communities.migrations.0004_revision_audience")
    stricter = post(world.alice, world.isac, "今は緑", tlp=TLP.GREEN)
    same = post(world.alice, world.isac, "指定先", tlp=TLP.AMBER,
                audience_mode=AudienceMode.CHOSEN, audience_users=[world.bob])
    for topic, tlp in ((stricter, TLP.RED), (same, TLP.AMBER)):
        TopicRevision.objects.create(topic=topic, edited_by=world.alice, title="old", tag="",
                                     kind="advisory", reader_level="general", tlp=tlp,
                                     audience_mode=AudienceMode.MEMBERS)
    migration.backfill(apps, None)
    old = stricter.revisions.get()
    assert (old.audience_mode, old.audience_organisation_ids, old.audience_user_ids) == (
        AudienceMode.CHOSEN, [world.alpha.id], [])
    kept = same.revisions.get()
    assert (kept.audience_mode, kept.audience_organisation_ids, kept.audience_user_ids) == (
        AudienceMode.CHOSEN, [], [world.bob.id])

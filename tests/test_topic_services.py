"""Topic services under bad input: each refusal has a clear message and writes nothing."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from renkei.communities import services
from renkei.communities.models import Acknowledgement, Attachment, Comment, Topic, TopicRevision
from renkei.errors import ServiceError
from renkei.sharing.models import TLP, AudienceMode

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def text_file(name: str = "iocs.txt", content: bytes = b"198.51.100.7\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def media_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def snapshot() -> tuple[int, int, int, list[str]]:
    return Topic.objects.count(), Attachment.objects.count(), Comment.objects.count(), media_files()


def refused(call, *args, **kwargs) -> str:
    """Run a service call that must be refused; return its message (in English)."""
    before = snapshot()
    with translation.override("en"), pytest.raises(ServiceError) as info:
        call(*args, **kwargs)
    assert snapshot() == before, "a refused request wrote something"
    return " ".join(info.value.messages)


# --- titles and fields ---------------------------------------------------------------------

@pytest.mark.parametrize("title", ["", "   ", "\n\t"])
def test_an_empty_title_is_refused(world, post, title):
    assert refused(post, world.alice, world.isac, title) == "A title is required."


def test_a_10000_character_title_is_refused_with_the_limit(world, post):
    message = refused(post, world.alice, world.isac, "長" * 10_000)
    assert "200" in message and "10000" in message


def test_a_title_of_exactly_the_limit_is_accepted(world, post):
    topic = post(world.alice, world.isac, "x" * services.TITLE_MAX)
    assert len(topic.title) == services.TITLE_MAX


@pytest.mark.parametrize(("field", "value", "message"), [
    ("kind", "gossip", "Choose one of the eight kinds of information."),
    ("tag", "urgent", "Unknown tag."),
    ("tlp", "purple", "Unknown TLP marking."),
    ("reader_level", "guru", "Unknown reader level."),
    ("audience_mode", "everyone", "Unknown audience."),
])
def test_unknown_choices_are_refused(world, post, field, value, message):
    assert refused(post, world.alice, world.isac, "t", **{field: value}) == message


def test_tlp_is_read_in_the_forms_people_write(world, post):
    assert post(world.alice, world.isac, "t", tlp="TLP:WHITE").tlp == TLP.CLEAR
    assert post(world.alice, world.isac, "t", tlp="amber strict").tlp == TLP.AMBER_STRICT


def test_an_over_long_body_is_refused(world, post):
    assert "100000" in refused(post, world.alice, world.isac, "t", body="x" * 100_001)


# --- audiences -----------------------------------------------------------------------------

def test_red_for_all_members_is_refused(world, post):
    message = refused(post, world.alice, world.isac, "t", tlp="red")
    assert "TLP:RED" in message and "named recipients" in message


def test_red_to_chosen_recipients_is_accepted(world, post):
    topic = post(world.alice, world.isac, "t", tlp="red", audience_mode=AudienceMode.CHOSEN,
                 audience_users=[world.bob])
    assert topic.tlp == TLP.RED and list(topic.audience_users.all()) == [world.bob]


def test_a_chosen_audience_needs_someone(world, post):
    message = refused(post, world.alice, world.isac, "t", audience_mode=AudienceMode.CHOSEN)
    assert message == "Choose at least one organisation or person for the audience."


def test_an_organisation_outside_a_closed_community_cannot_be_in_the_audience(world, post):
    message = refused(post, world.alice, world.isac, "t", audience_mode=AudienceMode.CHOSEN,
                      audience_organisations=[world.alpha, world.gamma])
    assert "not members of the community" in message
    assert world.gamma.name in message and world.alpha.name not in message


def test_a_person_outside_a_closed_community_cannot_be_in_the_audience(world, post):
    message = refused(post, world.alice, world.isac, "t", audience_mode=AudienceMode.CHOSEN,
                      audience_users=[world.bob, world.charlie])
    assert world.charlie.display_name in message and world.bob.display_name not in message


def test_a_notification_channel_audience_is_its_organisation_and_the_centre(world, post):
    channel = world.alpha.notification_channel
    topic = post(world.analyst, channel, "t", audience_mode=AudienceMode.CHOSEN,
                 audience_organisations=[world.alpha, world.centre])
    assert topic.community == channel
    message = refused(post, world.analyst, channel, "t", audience_mode=AudienceMode.CHOSEN,
                      audience_organisations=[world.beta])
    assert world.beta.name in message


# --- who may post where --------------------------------------------------------------------

@pytest.mark.parametrize(("author", "community"), [
    ("alice", "general"),  # a participant in a broadcast community
    ("bob", "pro"),
    ("alice", "manual"),
    ("charlie", "isac"),  # an outsider in a closed community
    ("charlie", "open"),  # an open community he has not joined
    ("alice", "beta_channel"),  # another organisation's notification channel
    ("beta_admin", "beta_channel"),  # even one's own: only the centre writes notices
])
def test_posting_where_not_allowed_is_refused(world, post, author, community):
    place = world.beta.notification_channel if community == "beta_channel" else getattr(
        world, community)
    message = refused(post, getattr(world, author), place, "t")
    assert message == "You may not post in this community."


def test_everyone_may_post_in_the_consultation_window(world, post):
    assert post(world.charlie, world.window, "相談").community == world.window


def test_an_archived_community_takes_no_posts(world, post):
    world.isac.is_archived = True
    world.isac.save()
    assert refused(post, world.alice, world.isac, "t") == "You may not post in this community."


def test_only_managers_mark_must_see(world, post):
    message = refused(post, world.alice2, world.isac, "t", pinned=True)
    assert "must-see" in message
    assert post(world.alice, world.isac, "t", pinned=True).is_pinned


# --- re-sharing ----------------------------------------------------------------------------

@pytest.mark.parametrize(("tlp", "label"), [("red", "TLP:RED"),
                                            ("amber+strict", "TLP:AMBER+STRICT")])
def test_confined_tlp_cannot_be_reshared(world, post, tlp, label):
    topic = post(world.commander, world.general, "t", tlp=tlp,
                 audience_mode=AudienceMode.CHOSEN, audience_organisations=[world.alpha])
    message = refused(services.reshare_topic, actor=world.commander, topic=topic,
                      community=world.pro)
    # The pass-on rule's own reasons (FIRST TLP 2.0).
    assert message.startswith(label) and "cannot be passed on" in message


def test_a_green_reshare_copies_the_attachments(world, post):
    topic = post(world.commander, world.general, "元の話", tlp="green",
                 attachments=[text_file("a.txt"), text_file("b.csv", b"x,y\n")])
    copy = services.reshare_topic(actor=world.commander, topic=topic, community=world.pro)
    copy.refresh_from_db()
    assert copy.community == world.pro and copy.shared_from == topic
    assert copy.title == topic.title and copy.tlp == TLP.GREEN
    assert copy.public_id != topic.public_id
    original = {(a.original_name, a.sha256) for a in topic.attachments.all()}
    assert {(a.original_name, a.sha256) for a in copy.attachments.all()} == original
    assert copy.attachment_count == 2
    for attachment in copy.attachments.all():
        assert attachment.file.read() in {b"198.51.100.7\n", b"x,y\n"}


def test_reshare_into_the_same_community_is_refused(world, post):
    topic = post(world.commander, world.general, "t")
    message = refused(services.reshare_topic, actor=world.commander, topic=topic,
                      community=world.general)
    assert message == "The topic is already in this community."


def test_reshare_needs_the_right_to_post_there(world, post):
    topic = post(world.alice, world.isac, "t")
    assert refused(services.reshare_topic, actor=world.alice, topic=topic,
                   community=world.general) == "You may not post in this community."


# --- editing -------------------------------------------------------------------------------

def test_an_edit_keeps_the_previous_version(world, post):
    topic = post(world.alice, world.isac, "初版", body="v1", tlp="amber")
    edited = services.edit_topic(actor=world.alice, topic=topic, title="第2版", body="v2",
                                 kind="incident", tlp="green")
    services.edit_topic(actor=world.alice, topic=edited, title="第3版", body="v3",
                        kind="incident", tlp="green")
    topic.refresh_from_db()
    assert (topic.title, topic.body, topic.kind) == ("第3版", "v3", "incident")
    history = [(r.title, r.body, r.tlp) for r in topic.revisions.order_by("id")]
    assert history == [("初版", "v1", "amber"), ("第2版", "v2", "green")]
    assert all(r.edited_by == world.alice for r in topic.revisions.all())


def test_a_refused_edit_changes_nothing(world, post):
    topic = post(world.alice, world.isac, "初版")
    refused(services.edit_topic, actor=world.alice, topic=topic, title=" ", body="",
            kind="advisory")
    refused(services.edit_topic, actor=world.charlie, topic=topic, title="乗っ取り", body="",
            kind="advisory")
    topic.refresh_from_db()
    assert topic.title == "初版" and not TopicRevision.objects.filter(topic=topic).exists()


# --- attachments: all or nothing -----------------------------------------------------------

def test_a_bad_attachment_among_good_ones_writes_nothing(world, post):
    lying = SimpleUploadedFile("report.pdf", PNG, content_type="application/pdf")
    message = refused(post, world.alice, world.isac, "t", attachments=[text_file(), lying])
    assert "report.pdf" in message and "does not match" in message


def test_a_failure_after_files_were_stored_removes_them(world, post, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    before = snapshot()
    monkeypatch.setattr(services.audit, "record", broken)
    with pytest.raises(RuntimeError):
        post(world.alice, world.isac, "t", attachments=[text_file("a.txt"), text_file("b.txt")])
    assert snapshot() == before


def test_too_many_attachments_are_refused(world, post):
    files = [text_file(f"{i}.txt") for i in range(settings.ATTACHMENTS_PER_POST + 1)]
    assert "At most" in refused(post, world.alice, world.isac, "t", attachments=files)


def test_attachments_are_stored_outside_the_web_root_under_opaque_names(world, post):
    topic = post(world.alice, world.isac, "t", attachments=[text_file("../../etc/passwd.txt")])
    attachment = topic.attachments.get()
    assert attachment.original_name == "passwd.txt"
    assert "passwd" not in attachment.file.name
    assert os.path.commonpath([attachment.file.path, str(settings.MEDIA_ROOT)]) == str(
        settings.MEDIA_ROOT)
    topic.refresh_from_db()
    assert topic.attachment_count == 1


# --- acknowledgements and comments ---------------------------------------------------------

def test_an_acknowledgement_is_counted_once(world, post):
    topic = post(world.alice, world.isac, "t")
    assert services.acknowledge(actor=world.bob, topic=topic) is True
    assert services.acknowledge(actor=world.bob, topic=topic) is False
    assert services.acknowledge(actor=world.alice2, topic=topic) is True
    topic.refresh_from_db()
    assert topic.ack_count == 2 == Acknowledgement.objects.filter(topic=topic).count()
    assert services.withdraw_acknowledgement(actor=world.bob, topic=topic) is True
    assert services.withdraw_acknowledgement(actor=world.bob, topic=topic) is False
    topic.refresh_from_db()
    assert topic.ack_count == 1


def test_a_comment_moves_the_topic_and_counts(world, post):
    topic = post(world.alice, world.isac, "t")
    before = topic.updated_at
    comment = services.add_comment(actor=world.bob, topic=topic, body="確認しました",
                                   attachments=[text_file()])
    topic.refresh_from_db()
    assert topic.comment_count == 1 and topic.updated_at > before
    assert topic.updated_at == comment.created_at
    assert comment.attachments.count() == 1 and topic.attachment_count == 1


@pytest.mark.parametrize("body", ["", "   \n "])
def test_an_empty_comment_is_refused(world, post, body):
    topic = post(world.alice, world.isac, "t")
    assert refused(services.add_comment, actor=world.bob, topic=topic,
                   body=body) == "A comment cannot be empty."
    topic.refresh_from_db()
    assert topic.comment_count == 0


def test_markdown_in_a_topic_is_sanitised_when_stored(world, post):
    topic = post(world.alice, world.isac, "t",
                 body="<script>alert(1)</script> [x](javascript:alert(1))")
    assert "<script" not in topic.body_html and "href=\"javascript" not in topic.body_html
    assert "&lt;script&gt;" in topic.body_html  # shown as text, not dropped silently


# --- messages in the user's language -------------------------------------------------------

def test_messages_come_in_japanese_by_default_and_in_english_on_request(world, post):
    with translation.override("en"), pytest.raises(ServiceError) as english:
        post(world.alice, world.general, "t")
    assert english.value.messages == ["You may not post in this community."]
    assert translation.get_language() == settings.LANGUAGE_CODE == "ja"
    with pytest.raises(ServiceError) as default:
        post(world.alice, world.general, "t")
    (message,) = default.value.messages
    assert message.strip() and message != english.value.messages[0]
    assert any(ord(ch) > 0x3000 for ch in message), message  # kana or kanji


# --- forged requests at the service level --------------------------------------------------

def test_reshare_never_crosses_into_an_exercise(world, post):
    from renkei.sharing.models import Environment

    exercise = Environment.objects.create(name="演習", kind=Environment.Kind.EXERCISE)
    drill = services.create_community(actor=None, name="演習（一般）", kind="broadcast",
                                      owner=world.centre, environment_id=exercise.id)
    topic = post(world.commander, world.general, "t")
    message = refused(services.reshare_topic, actor=world.commander, topic=topic,
                      community=drill)
    assert message == "Nothing crosses between the live platform and an exercise."


def test_only_the_author_their_admin_or_a_manager_edits(world, post):
    topic = post(world.alice2, world.isac, "初版")
    for outsider in (world.beta_admin, world.bob, world.charlie):
        assert refused(services.edit_topic, actor=outsider, topic=topic, title="乗っ取り",
                       body="", kind="advisory") == "You may not edit this topic."
    edited = services.edit_topic(actor=world.alice, topic=topic, title="管理者が修正", body="",
                                 kind="advisory")
    assert edited.title == "管理者が修正"


def test_only_managers_pin_and_unpin(world, post):
    topic = post(world.alice, world.isac, "t")
    assert "must-see" in refused(services.set_pinned, actor=world.bob, topic=topic, pinned=True)
    topic.refresh_from_db()
    assert not topic.is_pinned
    services.set_pinned(actor=world.alice, topic=topic, pinned=True)
    topic.refresh_from_db()
    assert topic.is_pinned


def test_a_red_row_without_named_recipients_reaches_no_member(world, post):
    from renkei.communities.models import Topic
    from renkei.sharing.visibility import readable_topics

    topic = post(world.alice, world.isac, "赤", tlp="amber")
    Topic.objects.filter(pk=topic.pk).update(tlp="red")  # a state no service can create
    assert not readable_topics(world.bob).filter(pk=topic.pk).exists()
    assert not readable_topics(world.alice2).filter(pk=topic.pk).exists()

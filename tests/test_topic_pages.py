"""Topic pages through real HTTP requests: posting with attachments and audiences, reading,
comments, いいね, must-see, re-sharing, editing, downloads, and the bad input each must refuse
without writing anything."""

import io
import struct
import zlib
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.urls import reverse

from renkei.accounts.models import AuditEntry
from renkei.communities import services
from renkei.communities.models import (
    Acknowledgement,
    Attachment,
    Comment,
    Topic,
    TopicRevision,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def parsed_tags(html: str) -> list[tuple[str, dict]]:
    """The real elements of a page (escaped text is not an element)."""
    found: list[tuple[str, dict]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collector().feed(html)
    return found


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def url(name: str, *args) -> str:
    return reverse(f"communities:{name}", args=args)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def counts() -> dict[str, int]:
    """What a refused request must leave as it was."""
    models: list[type[Model]] = [Topic, Attachment, Comment, Acknowledgement, TopicRevision]
    return {model.__name__: model.objects.count() for model in models}


def topic_form(**fields) -> dict:
    data = {"title": "Exchange の脆弱性", "tag": "important", "kind": "vulnerability",
            "reader_level": "pro", "tlp": "amber", "audience_mode": "members",
            "body": "**至急**確認してください。"}
    data.update(fields)
    return data


# --- reading ---------------------------------------------------------------------------------

def test_topic_page_for_insiders(as_user, world, post):
    topic = post(world.alice, world.isac, "偽ライブ配信サイト", tag="caution", tlp="amber+strict",
                 body="# 注意\n\n[公式](https://example.org) を使ってください。")
    client = as_user(world.bob)
    response = client.get(url("topic", topic.public_id))
    assert response.status_code == 200
    content = response.content.decode()
    assert "【注意】" in content and "偽ライブ配信サイト" in content
    assert topic.public_id in content
    assert world.alice.display_name in content
    assert 'class="tlp tlp-amber+strict"' in content and "TLP:AMBER+STRICT" in content
    assert "<h1>注意</h1>" in content and 'href="https://example.org"' in content
    assert "All members of the community" in content
    # AMBER+STRICT stays inside Bob's organisation (the pass-on rule): only the community that
    # beta alone reads is offered; the consultation window is not, and the page says why.
    form = response.context["reshare_form"]
    assert set(form.fields["community"].queryset) == {world.open}
    assert response.context["reshare_refusals"] == {
        "TLP:AMBER+STRICT information stays inside the recipient's organisation; it cannot be "
        "passed on to other organisations.": [world.window.name]}
    assert "stays inside the recipient&#x27;s organisation" in content
    topic.refresh_from_db()
    assert topic.view_count == 1
    client.get(url("topic", topic.public_id))
    topic.refresh_from_db()
    assert topic.view_count == 2


def test_outsiders_get_404_for_topic_attachment_and_actions(as_user, world, post):
    topic = post(world.alice, world.isac, "ISAC の秘密", attachments=[upload("a.pdf", PDF)])
    attachment = topic.attachments.get()
    before = counts()
    client = as_user(world.charlie)
    assert client.get(url("topic", topic.public_id)).status_code == 404
    assert client.get(url("topic_edit", topic.public_id)).status_code == 404
    assert client.get(url("topic_history", topic.public_id)).status_code == 404
    assert client.get(url("attachment", attachment.id)).status_code == 404
    assert client.get(url("topic_create", world.isac.id)).status_code == 404
    forged = [
        (url("comment_create", topic.public_id), {"body": "見えないはずのトピックへ"}),
        (url("acknowledge", topic.public_id), {"action": "ack"}),
        (url("pin", topic.public_id), {"pinned": "1"}),
        (url("reshare", topic.public_id), {"community": world.open.id}),
        (url("topic_edit", topic.public_id), topic_form(title="乗っ取り")),
        (url("topic_create", world.isac.id), topic_form(title="外部から")),
    ]
    for target, data in forged:
        assert client.post(target, data).status_code == 404, target
    assert client.get(url("topic", "20990101-000001")).status_code == 404
    assert client.get(url("attachment", 999_999)).status_code == 404
    assert counts() == before
    topic.refresh_from_db()
    assert topic.title == "ISAC の秘密" and not topic.is_pinned and topic.view_count == 0


def test_chosen_audience_hides_topic_from_other_members(as_user, world, post):
    topic = post(world.alice, world.isac, "アルファ社内向け", audience_mode="chosen",
                 audience_organisations=[world.alpha], attachments=[upload("x.pdf", PDF)])
    assert as_user(world.alice2).get(url("topic", topic.public_id)).status_code == 200
    bob = as_user(world.bob)
    assert bob.get(url("topic", topic.public_id)).status_code == 404
    assert bob.get(url("attachment", topic.attachments.get().id)).status_code == 404


# --- posting ---------------------------------------------------------------------------------

def test_post_topic_with_two_attachments_and_chosen_audience(as_user, world):
    client = as_user(world.alice)
    response = client.post(url("topic_create", world.isac.id), topic_form(
        audience_mode="chosen", audience_organisations=[world.alpha.id],
        audience_users=[world.bob.id],
        attachments=[upload("報告書.pdf", PDF), upload("画面.png", png_bytes())],
    ))
    topic = Topic.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("topic", topic.public_id)
    assert topic.tag == "important" and topic.kind == "vulnerability" and topic.tlp == "amber"
    assert topic.reader_level == "pro" and topic.audience_mode == "chosen"
    assert list(topic.audience_organisations.all()) == [world.alpha]
    assert list(topic.audience_users.all()) == [world.bob]
    assert topic.attachment_count == 2
    assert sorted(a.original_name for a in topic.attachments.all()) == ["報告書.pdf", "画面.png"]

    content = client.get(url("topic", topic.public_id)).content.decode()
    assert "<strong>至急</strong>" in content
    assert world.alpha.name in content and world.bob.display_name in content
    for attachment in topic.attachments.all():
        assert url("attachment", attachment.id) in content

    assert as_user(world.bob).get(url("topic", topic.public_id)).status_code == 200
    assert as_user(world.beta_admin).get(url("topic", topic.public_id)).status_code == 404


def test_create_page_offers_only_what_may_be_chosen(as_user, world):
    response = as_user(world.alice).get(url("topic_create", world.isac.id))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.fields["audience_organisations"].queryset) == {world.alpha}
    assert set(form.fields["audience_users"].queryset) == {world.alice, world.alice2, world.bob}
    assert "pinned" in form.fields
    content = response.content.decode()
    assert 'type="file"' in content and "multiple" in content
    assert 'enctype="multipart/form-data"' in content
    # A member who does not manage the community gets no must-see box.
    assert "pinned" not in as_user(world.bob).get(
        url("topic_create", world.isac.id)).context["form"].fields


def test_members_cannot_post_into_broadcast(as_user, world):
    client = as_user(world.bob)
    assert client.get(url("topic_create", world.general.id)).status_code == 403
    response = client.post(url("topic_create", world.general.id), topic_form())
    assert response.status_code == 403
    assert Topic.objects.count() == 0


def test_attachment_download_headers(as_user, world, post):
    topic = post(world.alice, world.isac, "添付あり",
                 attachments=[upload("調査報告.txt", "ログの抜粋\n".encode())])
    attachment = topic.attachments.get()
    response = as_user(world.bob).get(url("attachment", attachment.id))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E8%AA%BF%E6%9F%BB%E5%A0%B1%E5%91%8A.txt" in disposition
    assert b"".join(response.streaming_content) == "ログの抜粋\n".encode()


# --- comments, いいね, must-see --------------------------------------------------------------

def test_comment_with_attachment(as_user, world, post):
    topic = post(world.alice, world.isac, "コメント募集")
    client = as_user(world.bob)
    response = client.post(url("comment_create", topic.public_id),
                           {"body": "当社でも観測しました。",
                            "attachments": [upload("ioc.csv", b"ip\n192.0.2.1\n")]})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("topic", topic.public_id) + f"#comment-{comment.id}"
    attachment = Attachment.objects.get()
    assert attachment.comment == comment and attachment.topic == topic
    topic.refresh_from_db()
    assert topic.comment_count == 1
    content = client.get(url("topic", topic.public_id)).content.decode()
    assert "当社でも観測しました。" in content and url("attachment", attachment.id) in content
    assert as_user(world.alice2).get(url("attachment", attachment.id)).status_code == 200
    assert as_user(world.charlie).get(url("attachment", attachment.id)).status_code == 404


def test_empty_comment_is_refused_with_input_kept(as_user, world, post):
    topic = post(world.alice, world.isac, "コメント募集")
    before = counts()
    response = as_user(world.bob).post(url("comment_create", topic.public_id), {"body": "   "})
    assert response.status_code == 400
    assert response.context["comment_form"].errors
    assert counts() == before


def test_acknowledge_toggles_and_counts(as_user, world, post):
    topic = post(world.alice, world.isac, "読んだら押してください")
    bob = as_user(world.bob)
    target = url("acknowledge", topic.public_id)
    assert bob.post(target).status_code == 302
    topic.refresh_from_db()
    assert topic.ack_count == 1
    content = bob.get(url("topic", topic.public_id)).content.decode()
    assert world.bob.display_name in content and 'aria-pressed="true"' in content
    # A repeated "ack" (double submit) does not count twice.
    bob.post(target, {"action": "ack"})
    as_user(world.alice2).post(target, {"action": "ack"})
    topic.refresh_from_db()
    assert topic.ack_count == 2
    bob = as_user(world.bob)
    bob.post(target)  # toggles off
    topic.refresh_from_db()
    assert topic.ack_count == 1
    assert list(topic.acknowledgements.values_list("user", flat=True)) == [world.alice2.id]
    response = bob.get(url("topic", topic.public_id))
    assert 'aria-pressed="false"' in response.content.decode()
    assert [a.user for a in response.context["acknowledgements"]] == [world.alice2]


def test_pin_by_manager_only(as_user, world, post):
    topic = post(world.bob, world.isac, "必読にしたい")
    response = as_user(world.bob).post(url("pin", topic.public_id), {"pinned": "1"})
    assert response.status_code == 400
    assert any("must-see" in m for m in messages_of(response))
    topic.refresh_from_db()
    assert not topic.is_pinned
    response = as_user(world.alice).post(url("pin", topic.public_id), {"pinned": "1"})
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.is_pinned
    as_user(world.alice).post(url("pin", topic.public_id), {"pinned": "0"})
    topic.refresh_from_db()
    assert not topic.is_pinned


def test_must_see_on_create_needs_a_manager(as_user, world):
    response = as_user(world.bob).post(url("topic_create", world.isac.id),
                                       topic_form(pinned="on"))
    assert response.status_code == 302
    assert not Topic.objects.get().is_pinned  # the box is not offered, so it is ignored
    response = as_user(world.alice).post(url("topic_create", world.isac.id),
                                         topic_form(title="必読", pinned="on"))
    assert Topic.objects.get(title="必読").is_pinned


# --- re-sharing ------------------------------------------------------------------------------

def test_reshare_of_red_is_refused_with_a_message(as_user, world, post):
    topic = post(world.alice, world.isac, "赤の情報", tlp="red", audience_mode="chosen",
                 audience_users=[world.bob])
    before = counts()
    client = as_user(world.bob)
    content = client.get(url("topic", topic.public_id)).content.decode()
    red = ("TLP:RED information stays with the people it names; it cannot be passed on to "
           "anyone else.")
    assert url("reshare", topic.public_id) not in content and red in content
    response = client.post(url("reshare", topic.public_id), {"community": world.open.id})
    assert response.status_code == 400
    assert messages_of(response) == [red]
    assert counts() == before


def test_reshare_of_green_copies_the_topic(as_user, world, post):
    topic = post(world.alice, world.isac, "共有してよい情報", tlp="green",
                 attachments=[upload("a.pdf", PDF)])
    client = as_user(world.bob)
    form = client.get(url("topic", topic.public_id)).context["reshare_form"]
    targets = set(form.fields["community"].queryset)
    assert world.open in targets and world.window in targets
    assert world.isac not in targets and world.general not in targets
    response = client.post(url("reshare", topic.public_id), {"community": world.open.id})
    copy = Topic.objects.exclude(pk=topic.pk).get()
    assert response.status_code == 302 and response["Location"] == url("topic", copy.public_id)
    assert copy.community == world.open and copy.shared_from == topic
    assert copy.attachment_count == 1
    # Bob may not post into the broadcast community: it is not a target, and a forged form fails.
    response = client.post(url("reshare", topic.public_id), {"community": world.general.id})
    assert response.status_code == 400
    assert Topic.objects.count() == 2


# --- editing ---------------------------------------------------------------------------------

def test_edit_keeps_a_revision(as_user, world, post):
    topic = post(world.alice, world.isac, "初版の題", body="初版の本文", tlp="green")
    client = as_user(world.alice)
    response = client.get(url("topic_edit", topic.public_id))
    assert response.status_code == 200
    assert response.context["form"]["title"].value() == "初版の題"
    response = client.post(url("topic_edit", topic.public_id),
                           topic_form(title="改訂版の題", body="改訂版の本文", tlp="amber"))
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.title == "改訂版の題" and topic.tlp == "amber"
    revision = topic.revisions.get()
    assert revision.title == "初版の題" and revision.body == "初版の本文"
    assert revision.edited_by == world.alice
    history = as_user(world.bob).get(url("topic_history", topic.public_id))
    assert history.status_code == 200
    content = history.content.decode()
    assert "初版の題" in content and "初版の本文" in content and "改訂版の本文" in content


def test_editing_someone_elses_topic_is_refused(as_user, world, post):
    topic = post(world.alice, world.isac, "アリスの投稿")
    before = counts()
    for user in (world.bob, world.alice2):
        client = as_user(user)
        assert client.get(url("topic_edit", topic.public_id)).status_code == 403
        response = client.post(url("topic_edit", topic.public_id), topic_form(title="書き換え"))
        assert response.status_code == 403
    topic.refresh_from_db()
    assert topic.title == "アリスの投稿"
    assert counts() == before


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, expected", [
    ({"title": ""}, "This field is required."),
    ({"title": "長" * 10_000}, "at most 200 characters"),
    ({"kind": "gossip"}, "Select a valid choice"),
    ({"kind": ""}, "This field is required."),
    ({"tlp": "purple"}, "Select a valid choice"),
    ({"tlp": "red"}, "named recipients"),
    ({"audience_mode": "chosen"}, "at least one organisation or person"),
])
def test_bad_topic_input_writes_nothing(as_user, world, fields, expected):
    before = counts()
    response = as_user(world.alice).post(url("topic_create", world.isac.id), topic_form(**fields))
    assert response.status_code == 400
    content = response.content.decode()
    assert expected in content, content[:3000]
    # The input is kept for the next try.
    assert response.context["form"]["body"].value() == "**至急**確認してください。"
    assert counts() == before


def test_unknown_community_is_404(as_user, world):
    client = as_user(world.alice)
    assert client.get(url("topic_create", 999_999)).status_code == 404
    assert client.post(url("topic_create", 999_999), topic_form()).status_code == 404
    assert Topic.objects.count() == 0


def test_audience_outside_the_community_is_refused(as_user, world):
    before = counts()
    client = as_user(world.alice)
    response = client.post(url("topic_create", world.isac.id), topic_form(
        audience_mode="chosen", audience_organisations=[world.gamma.id]))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client.post(url("topic_create", world.isac.id), topic_form(
        audience_mode="chosen", audience_users=[world.charlie.id]))
    assert response.status_code == 400
    assert counts() == before


def test_markdown_script_and_javascript_links_are_harmless(as_user, world):
    body = ("<script>alert('x')</script>\n\n[click](javascript:alert(1))\n\n"
            "<img src=x onerror=alert(2)>\n\n<a href=\"javascript:alert(3)\">raw</a>")
    client = as_user(world.alice)
    client.post(url("topic_create", world.isac.id), topic_form(body=body))
    topic = Topic.objects.get()
    client.post(url("comment_create", topic.public_id), {"body": body})
    content = client.get(url("topic", topic.public_id)).content.decode()
    # Whatever survives is inert text: no script element, no javascript: link, no handler.
    assert "<script>alert" not in content
    assert "&lt;script&gt;" in content
    tags = parsed_tags(content)
    assert not [attrs for tag, attrs in tags if tag == "a"
                and (attrs.get("href") or "").strip().lower().startswith("javascript")]
    assert not [tag for tag, _attrs in tags if tag in {"img", "iframe", "object"}]
    assert not [attrs for _tag, attrs in tags if any(name.startswith("on") for name in attrs)]
    assert "[click](javascript:alert(1))" in content  # shown as text, not a link


def test_attachment_over_the_limit_is_refused(as_user, world, settings, post):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    topic = post(world.alice, world.isac, "既存")
    before = counts()
    big = upload("大きい.pdf", PDF + b"0" * (1024 * 1024))
    client = as_user(world.alice)
    response = client.post(url("topic_create", world.isac.id),
                           topic_form(attachments=[upload("ok.pdf", PDF), big]))
    assert response.status_code == 400
    assert any("too large" in m for m in messages_of(response))
    assert response.context["form"]["title"].value() == "Exchange の脆弱性"
    big.seek(0)
    response = client.post(url("comment_create", topic.public_id),
                           {"body": "添付します", "attachments": [big]})
    assert response.status_code == 400
    assert any("too large" in m for m in messages_of(response))
    assert response.context["comment_form"]["body"].value() == "添付します"
    assert counts() == before


@pytest.mark.parametrize("name, content", [
    ("report.pdf", png_bytes()),
    ("notes.txt", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
    ("evil.html", b"<html></html>"),
])
def test_lying_or_forbidden_attachment_is_refused(as_user, world, name, content):
    before = counts()
    response = as_user(world.alice).post(url("topic_create", world.isac.id),
                                         topic_form(attachments=[upload(name, content)]))
    assert response.status_code == 400
    assert any(name in m or ".html" in m for m in messages_of(response))
    assert counts() == before


# --- query counts ----------------------------------------------------------------------------

def test_topic_page_query_count(as_user, world, post, django_assert_max_num_queries):
    topic = post(world.alice, world.isac, "賑やかな話題", audience_mode="chosen",
                 audience_organisations=[world.alpha], audience_users=[world.bob],
                 attachments=[upload("a.pdf", PDF), upload("b.pdf", PDF)])
    for number, user in enumerate([world.bob, world.alice2, world.alice] * 4):
        services.add_comment(actor=user, topic=topic, body=f"コメント {number}",
                             attachments=[upload(f"c{number}.csv", b"a,b\n")])
    for user in (world.bob, world.alice2, world.alice):
        services.acknowledge(actor=user, topic=topic)
    client = as_user(world.bob)
    with django_assert_max_num_queries(15):
        response = client.get(url("topic", topic.public_id))
    assert response.status_code == 200
    assert len(response.context["comments"]) == 12
    assert all(len(comment.files) == 1 for comment in response.context["comments"])


def test_upload_helper_bytes_are_real_images():
    import filetype

    assert filetype.guess_mime(io.BytesIO(png_bytes()).read()) == "image/png"
    assert filetype.guess_mime(PDF) == "application/pdf"


def test_red_reads_and_downloads_are_audited(as_user, world, post):
    topic = post(world.alice, world.isac, "赤の添付", tlp="red", audience_mode="chosen",
                 audience_users=[world.bob], attachments=[upload("red.pdf", PDF)])
    client = as_user(world.bob)
    assert client.get(url("topic", topic.public_id)).status_code == 200
    assert client.get(url("attachment", topic.attachments.get().id)).status_code == 200
    actions = set(AuditEntry.objects.filter(actor=world.bob).values_list("action", flat=True))
    assert actions == {"topic.read_red", "attachment.download_red"}
    # Nobody outside the named recipients reads it, the centre included.
    assert as_user(world.alice2).get(url("topic", topic.public_id)).status_code == 404
    assert as_user(world.commander).get(url("topic", topic.public_id)).status_code == 404

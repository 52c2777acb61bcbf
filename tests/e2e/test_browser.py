"""The main path of sharing, driven in a real browser.

A centre analyst signs in with password and TOTP code and posts a TLP:AMBER topic with an
attachment into 情報提供（プロ）for two chosen organisations. A person of a chosen organisation
finds it on the home page, downloads the attachment, acknowledges it (いいね！) and comments;
a person of an organisation that was not chosen neither sees it listed nor reaches it by URL.
"""

import re
from pathlib import Path

import pyotp
import pytest
from django.urls import reverse

from renkei.communities.models import Acknowledgement, Attachment, Comment, Topic

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TITLE = "偽ライブ配信サイトへの誘導に注意"
BODY = "SNS で **偽のライブ配信サイト** へ誘導する投稿が増えています。\n\n- 203.0.113.10\n"
IOC_FILE = b"203.0.113.10\nlive-stream-olympics.example\n"
PHONE = {"width": 390, "height": 844}
COMMENT = "当社でも同じドメインへのアクセスを遮断しました。"


def _submit(page, action: str) -> None:
    """Press the submit button of the form that posts to `action` (not the language switcher)."""
    page.locator(f"form[action='{action}'] [type=submit]").first.click()


def _topic_form(page):
    # The topic form posts to its own URL (no action attribute): find it by its title field.
    return page.locator("form:has([name=title]):has([name=attachments])")


def sign_in(page, base: str, user, password: str, totp_secret: str | None = None) -> None:
    login = reverse("accounts:login")
    page.goto(base + login)
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(password)
    _submit(page, login)
    if totp_secret:
        code_url = reverse("accounts:login_code")
        page.wait_for_url(base + code_url)
        page.locator("input[name=code]").fill(pyotp.TOTP(totp_secret).now())
        _submit(page, code_url)
    page.wait_for_url(base + reverse("communities:home"))


def post_topic_as_centre(new_page, base: str, world, tmp_path) -> Topic:
    page = new_page()
    sign_in(page, base, world.analyst, world.password, world.analyst.totp_secret)
    create_url = reverse("communities:topic_create", args=[world.pro.id])
    page.goto(base + create_url)
    form = _topic_form(page)
    form.locator("[name=title]").fill(TITLE)
    form.locator("[name=tag]").select_option("caution")
    form.locator("[name=kind]").select_option("advisory")
    form.locator("[name=tlp]").select_option("amber")
    form.locator("input[name=audience_mode][value=chosen]").check()
    form.locator("[name=audience_organisations]").select_option(
        label=[world.alpha.name, world.beta.name]
    )
    form.locator("[name=body]").fill(BODY)
    ioc_file = tmp_path / "iocs.txt"
    ioc_file.write_bytes(IOC_FILE)
    form.locator("input[name=attachments]").set_input_files(str(ioc_file))
    form.locator("[type=submit]").first.click()

    page.wait_for_url(re.compile(r"/topics/\d{8}-\d{6}/"))
    public_id = re.search(r"/topics/(\d{8}-\d{6})/", page.url).group(1)
    assert TITLE in page.locator("main").inner_text()
    topic = Topic.objects.get(public_id=public_id)
    assert (topic.tlp, topic.audience_mode) == ("amber", "chosen")
    assert topic.author_id == world.analyst.id
    assert {o.id for o in topic.audience_organisations.all()} == {world.alpha.id, world.beta.id}
    return topic


def test_chosen_organisations_read_acknowledge_and_comment_others_get_404(
    live_server, world, new_page, tmp_path
):
    base = live_server.url
    topic = post_topic_as_centre(new_page, base, world, tmp_path)
    attachment = Attachment.objects.get(topic=topic)
    topic_url = reverse("communities:topic", args=[topic.public_id])
    attachment_url = reverse("communities:attachment", args=[attachment.id])

    # A person of a chosen organisation (alpha) finds it on the home page ...
    reader = new_page()
    sign_in(reader, base, world.alice2, world.password)
    reader.locator("a.topic-link", has_text=TITLE).first.click()
    reader.wait_for_url(base + topic_url)
    main = reader.locator("main")
    assert "偽のライブ配信サイト" in main.inner_text()
    assert main.locator("strong", has_text="偽のライブ配信サイト").count() == 1  # Markdown

    # ... downloads the attachment, byte for byte ...
    with reader.expect_download() as download_info:
        reader.locator(f"a[href='{attachment_url}']").first.click()
    download = download_info.value
    assert download.suggested_filename == "iocs.txt"
    assert Path(download.path()).read_bytes() == IOC_FILE

    # ... acknowledges it (いいね！) ...
    ack_url = reverse("communities:acknowledge", args=[topic.public_id])
    _submit(reader, ack_url)
    reader.wait_for_url(re.compile(re.escape(topic_url) + "#ack$"))
    assert Acknowledgement.objects.filter(topic=topic, user=world.alice2).exists()
    button = reader.locator(f"form[action='{ack_url}'] [type=submit]")
    assert button.get_attribute("aria-pressed") == "true"
    assert button.inner_text().split()[-1] == "1"
    assert world.alice2.name in reader.locator("#ack").text_content()

    # ... and comments.
    comment_url = reverse("communities:comment_create", args=[topic.public_id])
    reader.locator(f"form[action='{comment_url}'] [name=body]").fill(COMMENT)
    _submit(reader, comment_url)
    reader.wait_for_url(re.compile(re.escape(topic_url) + r"#comment-\d+$"))
    assert COMMENT in reader.locator("main").inner_text()
    assert Comment.objects.filter(topic=topic, author=world.alice2, body=COMMENT).exists()
    topic.refresh_from_db()
    assert (topic.ack_count, topic.comment_count, topic.attachment_count) == (1, 1, 1)

    # The topic page must be usable on a phone: nothing wider than the screen.
    phone = new_page(viewport=PHONE)
    sign_in(phone, base, world.bob, world.password)  # beta was chosen too
    phone.goto(base + topic_url)
    assert COMMENT in phone.locator("main").inner_text()
    overflow = phone.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the topic page scrolls sideways by {overflow}px on a phone"
    phone.screenshot(path="/tmp/renkei-e2e-topic-phone.png", full_page=True)

    # A person of an organisation that was not chosen (gamma) sees nothing of it.
    outsider = new_page()
    sign_in(outsider, base, world.charlie, world.password)
    assert TITLE not in outsider.locator("main").inner_text()
    response = outsider.goto(base + topic_url)
    assert response.status == 404
    assert TITLE not in outsider.content()
    response = outsider.request.get(base + attachment_url)
    assert response.status == 404
    assert IOC_FILE not in response.body()


def test_centre_sign_in_refuses_a_wrong_code(live_server, world, new_page):
    page = new_page()
    base = live_server.url
    page.goto(base + reverse("accounts:login"))
    page.locator("input[name=email]").fill(world.commander.email)
    page.locator("input[name=password]").fill(world.password)
    _submit(page, reverse("accounts:login"))
    code_url = reverse("accounts:login_code")
    page.wait_for_url(base + code_url)
    right = pyotp.TOTP(world.commander.totp_secret).now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    page.locator("input[name=code]").fill(wrong)
    _submit(page, code_url)
    assert page.url == base + code_url
    assert page.locator("[role=status], .messages, .errorlist").count() >= 1
    response = page.goto(base + reverse("communities:home"))
    assert response.url.startswith(base + reverse("accounts:login"))

"""Markdown is rendered safe; uploads are checked for size, type and content that lies."""

import hashlib
import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from renkei.communities.attachments import check_upload
from renkei.errors import ServiceError
from renkei.text import render_markdown

# --- Markdown ------------------------------------------------------------------------------

SAFE_TAGS = {"a", "p", "br", "strong", "em", "s", "del", "code", "pre", "blockquote", "ul",
             "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody",
             "tr", "th", "td"}


class Elements(HTMLParser):
    """The tags and attributes a browser would see in the rendered HTML."""

    def __init__(self, source: str):
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def hrefs(rendered: str) -> list[str]:
    return [attrs["href"] for tag, attrs in Elements(rendered).found if "href" in attrs]


def assert_safe(rendered: str) -> None:
    for tag, attrs in Elements(rendered).found:
        assert tag in SAFE_TAGS, rendered
        assert not any(name.startswith("on") for name in attrs), rendered
        assert set(attrs) <= {"href", "title", "rel", "align"}, rendered
    for href in hrefs(rendered):
        scheme = re.sub(r"[\x00-\x20]", "", href or "").lower().split(":", 1)
        assert len(scheme) == 1 or scheme[0] in {"http", "https", "mailto"}, rendered


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "before <script src=https://evil.example/x.js></script> after",
    "<img src=x onerror=alert(1)>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x73;cript:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    '[x](https://ok.example "t\\" onmouseover=\\"alert(1)")',
    "![pixel](https://tracker.example/p.png)",
    "![x](javascript:alert(1))",
])
def test_dangerous_markdown_is_neutralised(source):
    assert_safe(render_markdown(source))


def test_script_is_shown_as_text_not_run():
    rendered = render_markdown("<script>alert(1)</script>")
    assert "<script" not in rendered and "&lt;script&gt;" in rendered


def test_javascript_and_data_links_lose_their_link():
    for source in ("[x](javascript:alert(1))", "[x](data:text/html,hi)"):
        assert "<a" not in render_markdown(source)


def test_links_are_kept_and_marked_external():
    rendered = render_markdown("[JPCERT/CC](https://www.jpcert.or.jp/) と "
                               "<mailto:soc@example.jp>")
    assert hrefs(rendered) == ["https://www.jpcert.or.jp/", "mailto:soc@example.jp"]
    assert 'rel="noopener noreferrer nofollow"' in rendered
    assert ">JPCERT/CC</a>" in rendered


def test_tables_are_kept():
    rendered = render_markdown("| IoC | 種別 |\n|---|:-:|\n| 198.51.100.7 | C2 |\n")
    for tag in ("<table>", "<thead>", "<tbody>", "<th", "<td"):
        assert tag in rendered
    assert "198.51.100.7" in rendered and "種別" in rendered


def test_code_is_kept_and_escaped():
    rendered = render_markdown("`rm -rf /`\n\n```\n<script>alert(1)</script>\nif a < b:\n```\n")
    assert "<code>rm -rf /</code>" in rendered
    assert "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\nif a &lt; b:\n</code></pre>" in (
        rendered)


def test_ordinary_formatting_survives():
    rendered = render_markdown("# 注意喚起\n\n**重要** と *強調* と ~~取消~~\n\n- 一\n- 二\n\n"
                               "> 引用\n\n一行目\n二行目")
    for fragment in ("<h1>注意喚起</h1>", "<strong>重要</strong>", "<em>強調</em>",
                     "<s>取消</s>", "<li>一</li>", "<blockquote>", "一行目<br"):
        assert fragment in rendered


def test_empty_markdown_is_empty():
    assert render_markdown("") == "" and render_markdown(None) == ""


# --- uploads -------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"PE\x00\x00"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def refusal(name: str, content: bytes) -> str:
    with translation.override("en"), pytest.raises(ServiceError) as info:
        check_upload(upload(name, content))
    return " ".join(info.value.messages)


@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("report.pdf", PDF, "application/pdf"),
    ("screen.png", PNG, "image/png"),
    ("SCREEN.PNG", PNG, "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"),
    ("samples.zip", ZIP, "application/zip"),
    ("iocs.txt", "198.51.100.7 悪性\n".encode(), "text/plain"),
    ("iocs.csv", b"ip,kind\n198.51.100.7,c2\n", "text/csv"),
    ("bundle.json", b'{"type": "bundle"}', "application/json"),
    ("notes.md", b"# notes\n<not html at the start>", "text/plain"),
])
def test_honest_files_are_accepted(name, content, content_type):
    meta = check_upload(upload(name, content))
    assert meta == {"original_name": name, "content_type": content_type, "size": len(content),
                    "sha256": hashlib.sha256(content).hexdigest()}


@pytest.mark.parametrize(("name", "content"), [
    ("screen.pdf", PNG),  # a picture calling itself a PDF
    ("report.png", PDF),
    ("page.txt", HTML),  # a web page calling itself text
    ("page.txt", b"  \n<HTML><body>hi</body></HTML>"),
    ("image.txt", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("page.csv", b"<script>alert(1)</script>"),
    ("page.txt", b"\xef\xbb\xbf<html><script>alert(1)</script></html>"),  # behind a BOM
    ("tool.txt", ELF),  # a program calling itself text
    ("setup.txt", EXE),
    ("setup.pdf", EXE),
    ("setup.zip", EXE),
    ("archive.txt", ZIP),
    ("binary.log", b"abc\x00def"),
    ("photo.jpg", PNG),
])
def test_content_that_lies_about_its_extension_is_refused(name, content):
    message = refusal(name, content)
    assert "does not match its extension" in message and name in message


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "page.htm", "image.svg", "x.js",
                                  "macro.docm", "noextension", "archive.tar.gz", "run.bat"])
def test_types_that_are_not_allowed_are_refused(name):
    assert "cannot be attached" in refusal(name, b"hello")


def test_an_empty_file_is_refused():
    assert refusal("empty.txt", b"") == "empty.txt is empty."


def test_the_size_limit_holds(settings):
    settings.ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
    limit = settings.ATTACHMENT_MAX_BYTES
    assert check_upload(upload("big.txt", b"a" * limit))["size"] == limit
    message = refusal("huge.txt", b"a" * (limit + 1))
    assert message == "huge.txt is too large: attachments may be at most 2 MB."


def test_the_name_is_reduced_to_its_last_part():
    assert check_upload(upload("../../etc/passwd.txt", b"x"))["original_name"] == "passwd.txt"


def test_a_very_long_name_is_cut_keeping_its_extension():
    name = check_upload(upload("a" * 300 + ".txt", b"x"))["original_name"]
    assert len(name) <= 255 and name.endswith(".txt")


def test_a_file_can_be_read_again_after_the_check():
    file = upload("iocs.txt", b"198.51.100.7\n")
    check_upload(file)
    assert file.read() == b"198.51.100.7\n"

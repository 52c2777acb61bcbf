"""Japanese is the product's main language: the catalogue is complete, compiled, and used.

The .po is read with a tiny parser (no polib here); the .mo is read with the standard library, so
these tests need no gettext tools on the machine.
"""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

import renkei

LOCALE = Path(settings.LOCALE_PATHS[0])
JA_PO = LOCALE / "ja" / "LC_MESSAGES" / "django.po"
SOURCE = Path(renkei.__file__).resolve().parent
# The project's catalogue, and one per app that keeps its own (`make messages` fills them all).
JA_CATALOGUES = [JA_PO, *sorted(SOURCE.glob("*/locale/ja/LC_MESSAGES/django.po"))]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
# The functions that mark a string for translation in renkei's Python code.
MARKERS = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext",
           "pgettext_lazy"}


def _unquote(line: str) -> str:
    return ast.literal_eval(line)  # .po strings are C-escaped; Python reads the same escapes


def parse_po(path: Path) -> list[dict]:
    """Entries as dicts: msgctxt?, msgid, msgid_plural?, msgstr or msgstr[0], flags."""
    entries, entry, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip() or line.startswith("#~"):
            if entry and "msgid" in entry:
                entries.append(entry)
            entry = None
            continue
        entry = entry if entry is not None else {"flags": ""}
        if line.startswith("#,"):
            entry["flags"] = line[2:]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += _unquote(line)
        else:
            key, _space, rest = line.partition(" ")
            entry[key] = _unquote(rest)
    return entries


def _catalogue_id(path: Path) -> str:
    return str(path.relative_to(SOURCE))


@pytest.fixture(scope="module", params=JA_CATALOGUES, ids=_catalogue_id)
def catalogue(request) -> tuple[Path, list[dict]]:
    entries = parse_po(request.param)
    assert entries[0]["msgid"] == ""  # the header
    return request.param, entries


@pytest.fixture
def ja_entries(catalogue) -> list[dict]:
    return catalogue[1]


@pytest.fixture(scope="module")
def all_ja_entries() -> list[dict]:
    return [entry for path in JA_CATALOGUES for entry in parse_po(path)[1:]]


def _translation(entry: dict) -> str:
    return entry.get("msgstr", entry.get("msgstr[0]", ""))


def _key(entry: dict) -> tuple[str, str]:
    return entry.get("msgctxt", ""), entry["msgid"]


# --- the catalogue ---------------------------------------------------------------------------

def test_the_header_says_japanese_with_one_plural_form(ja_entries):
    header = ja_entries[0]["msgstr"]
    assert "Language: ja\n" in header
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header
    assert "fuzzy" not in ja_entries[0]["flags"]


def test_the_project_catalogue_is_the_big_one():
    assert len(parse_po(JA_PO)) > 300


def test_every_message_has_a_japanese_translation(ja_entries):
    messages = ja_entries[1:]
    untranslated = [e["msgid"] for e in messages if not _translation(e).strip()]
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    # One form per plural entry, and nothing beyond it (nplurals=1).
    plurals = [e for e in messages if "msgid_plural" in e]
    assert all("msgstr[1]" not in e for e in plurals)


def test_translations_keep_their_placeholders(ja_entries):
    for entry in ja_entries[1:]:
        expected = sorted(PLACEHOLDER.findall(entry["msgid"]))
        assert sorted(PLACEHOLDER.findall(_translation(entry))) == expected, entry["msgid"]


def test_translations_are_japanese(ja_entries):
    """A msgstr copied from the English msgid would pass the emptiness check; catch it."""
    def japanese(text: str) -> bool:
        return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)

    copied = [e["msgid"] for e in ja_entries[1:] if not japanese(_translation(e))]
    assert not copied, f"not translated into Japanese: {copied}"


def test_the_compiled_catalogue_matches_the_po_file(catalogue):
    """A .po edited without compilemessages would leave the product speaking the old words."""
    po_path, ja_entries = catalogue
    with po_path.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in ja_entries[1:]:
        if "msgid_plural" in entry:
            got = compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1)
        elif "msgctxt" in entry:
            got = compiled.pgettext(entry["msgctxt"], entry["msgid"])
        else:
            got = compiled.gettext(entry["msgid"])
        assert got == _translation(entry), entry["msgid"]
    # Same number of messages, header aside: nothing stale left in the .mo either.
    assert len(compiled._catalog) - 1 == len(ja_entries) - 1


# --- every marked string of the source is in the catalogue -----------------------------------

def _python_msgids() -> set[tuple[str, str]]:
    found = set()
    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in MARKERS and node.args):
                continue
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            if node.func.id.startswith("pgettext") and len(args) >= 2 and args[1]:
                found.add((args[0], args[1]))
            elif isinstance(args[0], str):
                found.add(("", args[0]))
    return found


TRANSLATE_TAG = re.compile(
    r"""{%\s*(?:translate|trans)\s+(["'])(.*?)\1(?:\s+context\s+(["'])(.*?)\3)?.*?%}""")
BLOCK_TAG = re.compile(
    r"{%\s*blocktrans(?:late)?\b(.*?)%}(.*?){%\s*(?:plural|endblocktrans(?:late)?)\s*%}", re.S)


def _template_msgids() -> set[tuple[str, str]]:
    found = set()
    for path in SOURCE.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in TRANSLATE_TAG.finditer(text):
            found.add((match.group(4) or "", match.group(2)))
        for match in BLOCK_TAG.finditer(text):
            body = re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", match.group(2))
            if "trimmed" in match.group(1):
                body = " ".join(body.split())
            found.add(("", body))
    return found


def test_every_marked_string_in_the_source_is_in_the_catalogue(all_ja_entries):
    catalogue = {_key(e) for e in all_ja_entries}
    marked = _python_msgids() | _template_msgids()
    assert len(marked) > 300  # the scan itself works
    missing = sorted(marked - catalogue)
    assert not missing, (
        "run `make messages`, translate, and `make install` (compiles): "
        f"{missing}")


# --- the product speaks it --------------------------------------------------------------------

@pytest.mark.parametrize("english, japanese", [
    ("Topic", None),  # not a msgid: gettext gives it back unchanged
    ("Communities", "コミュニティ"),
    ("Must-see topics", "必ず見てほしいトピック"),
    ("New topics", "新着トピック一覧"),
    ("All members of the community", "コミュニティの全メンバー"),
    ("Chosen organisations and people", "指定した組織・個人"),
    ("Consultation window", "そうだんの窓口"),
    ("Notification channel", "観測情報等通知用"),
    ("Coordination centre", "対処調整センター"),
    ("Security agency", "情報セキュリティ関係機関"),
    ("Law enforcement", "治安機関"),
    ("CTI vendor", "CTI事業者"),
    ("Two-factor authentication", "二要素認証"),
    ("API tokens", "APIトークン"),
    ("Vulnerability", "脆弱性情報"),
    ("Attack foresight", "攻撃予見情報"),
    ("Malware", "不正プログラム情報"),
    ("Alert / advisory", "注意喚起情報"),
    ("Observation / analysis", "観測／分析関連情報"),
    ("Incident", "インシデント情報"),
    ("Event schedule", "大会関連スケジュール情報"),
    ("Emergency", "緊急事態情報"),
    ("Commander", "全体統括"),
    ("Duty officer", "当直"),
    ("Telecommunications", "通信"),
    ("Local government services", "行政サービス（地方公共団体）"),
    ("Press it when you have read the topic.", "閲覧したら押してください。"),
])
def test_key_terms_use_the_domain_words(english, japanese):
    with translation.override("ja"):
        assert translation.gettext(english) == (japanese or english)
    with translation.override("en"):
        assert translation.gettext(english) == english


def test_paging_reads_as_in_jisp():
    with translation.override("ja"):
        text = translation.gettext("%(start)s–%(end)s of %(total)s") % {
            "start": 1, "end": 20, "total": 63}
    assert text == "63件中 1〜20"


def test_plural_message_in_japanese_has_one_form():
    with translation.override("ja"):
        for minutes in (1, 5):
            text = translation.ngettext(
                "Too many failed attempts. Try again in %(minutes)d minute.",
                "Too many failed attempts. Try again in %(minutes)d minutes.",
                minutes) % {"minutes": minutes}
            assert f"{minutes}分後" in text


def test_sign_in_page_is_japanese_by_default(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="ja">' in html
    assert "<h1>ログイン</h1>" in html and "メールアドレス" in html and "パスワード" in html
    assert "Sign in" not in html and "E-mail address" not in html


def test_sign_in_page_follows_an_english_browser(client):
    html = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Sign in</h1>" in html and "E-mail address" in html
    assert "ログイン" not in html


HOME_JA = ["ホーム", "必ず見てほしいトピック", "新着トピック一覧", "参加中のコミュニティ",
           "ログアウト", "組織管理", "タイトル", "投稿者", "最終更新日時", "必読"]
HOME_EN = ["Home", "Must-see topics", "New topics", "My communities", "Log out",
           "Organisation admin", "Title", "Posted by", "Last update", "Must-see"]


def _home_with_topics(client, world, post, user):
    post(world.commander, world.general, "【テスト】緊急のお知らせ", pinned=True)
    post(world.alice, world.isac, "ISAC 向けの情報")
    client.force_login(user)
    return client.get(reverse("communities:home")).content.decode()


def test_home_page_is_japanese_for_a_person_with_the_default_language(client, world, post):
    assert world.alice.language == "ja"  # the default for new people
    html = _home_with_topics(client, world, post, world.alice)
    assert '<html lang="ja">' in html
    for text in HOME_JA:
        assert text in html, text
    for text in ("Must-see topics", "New topics", "My communities", "Log out", "Posted by"):
        assert text not in html, text


def test_home_page_is_english_for_a_person_who_chose_english(client, world, post):
    world.alice.language = "en"
    world.alice.save(update_fields=["language"])
    html = _home_with_topics(client, world, post, world.alice)
    assert '<html lang="en">' in html
    for text in HOME_EN:
        assert text in html, text
    for text in HOME_JA[:5]:
        assert text not in html, text


def test_missing_and_forbidden_pages_answer_alike_in_japanese(client, world, post):
    secret = post(world.alice, world.isac, "ISAC だけの情報")
    client.force_login(world.charlie)  # outside the ISAC
    for public_id in (secret.public_id, "20000101-999999"):
        response = client.get(reverse("communities:topic", args=[public_id]))
        html = response.content.decode()
        assert response.status_code == 404
        assert "ページが見つかりません" in html and "Page not found" not in html
        assert "ISAC だけの情報" not in html


def test_the_server_error_page_follows_the_language():
    from django.template.loader import render_to_string

    with translation.override("ja"):
        assert "サーバーエラー" in render_to_string("500.html")
    with translation.override("en"):
        assert "Server error" in render_to_string("500.html")

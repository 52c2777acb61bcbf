"""The sanitiser on its own (no database): every way a victim's identity hides in a text."""

import pytest

from renkei.situation.sanitiser import (
    Directory,
    OrganisationNames,
    Sanitiser,
    short_names,
    split_systems,
)

SAKURA = OrganisationNames("1", "さくら通信株式会社", aliases=("サクラツウシン",),
                           domains=("sakura-tsushin.example",))
KAMOME = OrganisationNames("2", "かもめ鉄道株式会社", domains=("kamome-rail.example",))
POLICE = OrganisationNames("3", "首都警察 サイバー対策課")
DIRECTORY = Directory(organisations=(SAKURA, KAMOME, POLICE),
                      people=("鈴木 一郎", "Daniel Moore"),
                      systems=tuple(split_systems("予約システム（rsv-web01）、社内メール\n公式Webサイト")))


@pytest.fixture(scope="module")
def sanitiser():
    return Sanitiser(DIRECTORY)


def clean(sanitiser, text):
    return sanitiser.run(text).text


@pytest.mark.parametrize("text", [
    "さくら通信株式会社から報告",
    "ｻｸﾗﾂｳｼﾝから報告",  # half-width katakana reading
    "サクラツウシンから報告",  # katakana reading (alias)
    "さくらつうしんから報告",  # the reading in hiragana
    "さ く ら　通 信から報告",  # spaces, full-width too
    "ＳＡＫＵＲＡ－ＴＳＵＳＨＩＮから報告",  # the e-mail domain's label, full-width
    "sakura-tsushinから報告",
    "（株）さくら通信から報告",
    "㈱さくら通信から報告",
])
def test_the_victims_name_in_every_disguise(sanitiser, text):
    result = sanitiser.run(text)
    assert result.text == "［組織A］から報告", result.text
    assert result.replacements[0].start == 0


@pytest.mark.parametrize("text,placeholder", [
    ("連絡先 suzuki@sakura-tsushin.example まで", "［メールアドレス］"),
    ("連絡先 ｓｕｚｕｋｉ＠ｋａｍｏｍｅ．ｅｘａｍｐｌｅ まで", "［メールアドレス］"),
    ("連絡先 suzuki[at]sakura-tsushin[.]example まで", "［メールアドレス］"),
    ("連絡先 mail.sakura-tsushin.example まで", "［ドメイン］"),
    ("連絡先 SAKURA-TSUSHIN.EXAMPLE まで", "［ドメイン］"),
    ("連絡先 03-1234-5678 まで", "［電話番号］"),
    ("連絡先 ０３－１２３４－５６７８ まで", "［電話番号］"),
    ("連絡先 (03)1234-5678 まで", "［電話番号］"),
    ("連絡先 090 1234 5678 まで", "［電話番号］"),
    ("連絡先 +81-90-1234-5678 まで", "［電話番号］"),
    ("連絡先 0120-123-456 まで", "［電話番号］"),
    ("連絡先 https://www.sakura-tsushin.example/login?id=1 まで", "［URL］"),
    ("連絡先 hxxps://evil.example[.]com/a まで", "［URL］"),
    ("連絡先 198.51.100.23 まで", "［IPアドレス］"),
    ("連絡先 203.0.113[.]5 まで", "［IPアドレス］"),
    ("連絡先 １９８．５１．１００．２３ まで", "［IPアドレス］"),
    ("連絡先 2001:db8::1 まで", "［IPアドレス］"),
    ("連絡先 c2.badhost.example まで", "［ホスト名］"),
    ("連絡先 鈴木一郎 まで", "［氏名］"),
    ("連絡先 鈴木　一郎 まで", "［氏名］"),
    ("連絡先 鈴木様 まで", "［氏名］"),
    ("連絡先 Daniel Moore まで", "［氏名］"),
    ("連絡先 rsv-web01 まで", "［システム名］"),
    ("連絡先 予約システム まで", "［システム名］"),
    ("連絡先 首都警察 まで", "［組織A］"),
])
def test_addresses_people_and_systems(sanitiser, text, placeholder):
    assert clean(sanitiser, text) == f"連絡先 {placeholder} まで"


@pytest.mark.parametrize("text", [
    "2026-07-24 09:00:00 に 20260724-000001 として受付",
    "report.pdf と node.js と v1.2.3 を確認",
    "Webサイトとメールが停止",  # generic systems are no names
    "鈴木さんではなく木村さん",  # only known people
    "Mooreland と sakura-tsushinx",  # Latin names need word boundaries
])
def test_what_identifies_nobody_stays(sanitiser, text):
    result = sanitiser.run(text)
    if "鈴木" in text:
        assert result.text == "［氏名］ではなく木村さん"
    else:
        assert result.text == text, result.replacements


def test_placeholders_are_stable_and_positions_point_into_the_original(sanitiser):
    text = "かもめ鉄道とさくら通信。ＳＡＫＵＲＡ　ＴＳＵＳＨＩＮ…ではなくかもめ（198.51.100.1）"
    result = sanitiser.run(text)
    assert result.text == "［組織A］と［組織B］。［組織B］…ではなく［組織A］（［IPアドレス］）"
    for r in result.replacements:
        assert text[r.start:r.end] == r.original
        assert result.text[r.new_start:r.new_end] == r.placeholder
    pieces = result.segments()
    assert "".join(p for p, _r in pieces) == text
    assert "".join(p for p, _r in result.segments(sanitised=True)) == result.text


def test_short_names_and_systems_are_derived_sensibly():
    assert "さくら通信" in short_names("さくら通信株式会社")
    assert "かもめ" in short_names("かもめ鉄道株式会社")
    assert "首都警察" in short_names("首都警察 サイバー対策課")
    assert short_names("Acme Co., Ltd.") == ["Acme"]
    assert split_systems("予約システム（rsv-web01）、社内メール\nWebサイト") == [
        "予約システム", "rsv-web01", "社内メール"]


def test_an_empty_directory_still_removes_addresses():
    result = Sanitiser(Directory()).run("info@example.com と 192.0.2.1")
    assert result.text == "［メールアドレス］ と ［IPアドレス］"

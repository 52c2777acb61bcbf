"""The IoC extractor (feeds/extract.py) and the value → STIX helpers: pure, no database."""

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2patterns.validator import validate

from renkei.feeds import stix
from renkei.feeds.extract import Found, classify, extract, refang


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in extract(text)]


def test_a_japanese_advisory():
    text = (
        "【注意喚起】攻撃元 198.51.100[.]23 および 2001:db8::bad から、"
        "hxxps://login-example[.]com/verify?id=1 へ誘導。検体 SHA-256: "
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855、"
        "MD5 d41d8cd98f00b204e9800998ecf8427e、SHA-1 da39a3ee5e6b4b0d3255bfef95601890afd80709。"
        "CVE-2024-3400 を悪用。送信元 attacker[@]bad-mail[.]jp、C2 は c2.evil-example.net。"
    )
    assert kinds(text) == [
        ("ipv4", "198.51.100.23"),
        ("ipv6", "2001:db8::bad"),
        ("url", "https://login-example.com/verify?id=1"),
        ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("cve", "CVE-2024-3400"),
        ("email", "attacker@bad-mail.jp"),
        ("domain", "c2.evil-example.net"),
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("hxxp://example[.]com/a", ("url", "http://example.com/a")),
    ("hXXps://example[.]com", ("url", "https://example.com")),
    ("https[:]//example.org/x", ("url", "https://example.org/x")),
    ("http[://]example.org/x", ("url", "http://example.org/x")),
    ("1.2.3[.]4", ("ipv4", "1.2.3.4")),
    ("10(.)0(.)0(.)1", ("ipv4", "10.0.0.1")),
    ("example(.)com", ("domain", "example.com")),
    ("example[dot]com", ("domain", "example.com")),
    ("user[@]example[.]com", ("email", "user@example.com")),
    ("cve-2021-44228", ("cve", "CVE-2021-44228")),
])
def test_defanged_forms(text, expected):
    assert kinds(text) == [expected]


@pytest.mark.parametrize("text", [
    "report.pdf", "setup.exe", "config.yaml", "notes.txt", "script.sh", "main.py",
    "archive.tar.gz", "version 1.2.3", "10.0.0.256", "12:30 から 13:45", "std::vector",
    "a deadbeef hash that is too short: deadbeefdeadbeef", "e.g. this, i.e. that",
])
def test_things_that_are_not_indicators(text):
    assert extract(text) == []


def test_defanging_says_a_file_like_name_is_a_domain():
    assert kinds("update server evil[.]sh, not script.sh") == [("domain", "evil.sh")]


def test_urls_end_where_the_sentence_ends():
    assert kinds("See (https://example.com/a_(b)), then https://example.org/x.") == [
        ("url", "https://example.com/a_(b)"), ("url", "https://example.org/x")]
    assert kinds("[link](https://foo.example.jp/x)") == [("url", "https://foo.example.jp/x")]
    assert kinds("詳細はhttps://example.jp/pathを参照") == [("url", "https://example.jp/path")]


def test_hosts_inside_urls_and_addresses_are_not_repeated_as_domains():
    assert kinds("http://a.example.com/x and b@mail.example.com") == [
        ("url", "http://a.example.com/x"), ("email", "b@mail.example.com")]


def test_each_value_once_normalised():
    text = "EVIL.example.com evil.example.com. 2001:DB8:0:0::1 2001:db8::1 " \
           "D41D8CD98F00B204E9800998ECF8427E d41d8cd98f00b204e9800998ecf8427e"
    assert kinds(text) == [("domain", "evil.example.com"), ("ipv6", "2001:db8::1"),
                           ("md5", "d41d8cd98f00b204e9800998ecf8427e")]


def test_empty_and_junk():
    assert extract("") == [] and extract("\x00\x01") == []
    assert refang("nothing here") == "nothing here"


# --- whole values (lists, CSV) ---------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("203.0.113.0/24", Found("ipv4", "203.0.113.0/24")),
    ("203.0.113.9/32", Found("ipv4", "203.0.113.9")),
    ("2001:db8::/32", Found("ipv6", "2001:db8::/32")),
    (" evil[.]example ", None),  # no real TLD shape? "example" is a TLD-shaped label
    ("bad.example", Found("domain", "bad.example")),
    ("hxxp://x.example.com/p", Found("url", "http://x.example.com/p")),
    ("two words", None),
    ("1.2.3", None),
])
def test_classify(raw, expected):
    if raw.strip() == "evil[.]example":
        assert classify(raw) == Found("domain", "evil.example")
    else:
        assert classify(raw) == expected


# --- STIX patterns and ids -------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "value"), [
    ("ipv4", "192.0.2.1"), ("ipv6", "2001:db8::1"), ("domain", "example.com"),
    ("url", "http://example.com/a'b\\c"), ("email", "a@example.com"),
    ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
    ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
])
def test_patterns_are_valid_and_read_back(kind, value):
    pattern = stix.pattern_for(kind, value)
    assert validate(pattern, stix_version="2.1", print_errs=False)
    assert stix.kind_of_pattern(pattern) == (kind, value)
    assert stix.indicator_id(kind, value) == stix.indicator_id(kind, value)
    assert stix.indicator_id(kind, value) != stix.indicator_id(kind, value + "x")


def test_sco_ids_follow_the_specification():
    import stix2

    assert stix.observable("ipv4", "1.2.3.4", tlp="green")["id"] == \
        stix2.IPv4Address(value="1.2.3.4").id
    assert stix.observable("md5", "d41d8cd98f00b204e9800998ecf8427e", tlp="green")["id"] == \
        stix2.File(hashes={"MD5": "d41d8cd98f00b204e9800998ecf8427e"}).id


# --- properties ------------------------------------------------------------------------------

LABEL = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
TLD = st.sampled_from(["com", "net", "org", "jp", "io", "xyz", "tokyo"])


@settings(max_examples=25, deadline=None)
@given(address=st.ip_addresses(v=4), style=st.sampled_from(["[.]", "(.)", "{.}"]),
       prose=st.sampled_from(["攻撃元は {} です。", "IP: {}", "({})", "{}、"]))
def test_any_defanged_ipv4_is_found(address, style, prose):
    defanged = str(address).replace(".", style, 1)
    assert Found("ipv4", str(address)) in extract(prose.format(defanged))


@settings(max_examples=25, deadline=None)
@given(labels=st.lists(LABEL, min_size=1, max_size=3), tld=TLD,
       defang=st.booleans(), scheme=st.sampled_from(["", "http://", "https://"]))
def test_any_domain_or_url_is_found(labels, tld, defang, scheme):
    name = ".".join([*labels, tld])
    written = name.replace(".", "[.]") if defang else name
    if scheme:
        written = (scheme.replace("http", "hxxp") if defang else scheme) + written + "/p"
        assert extract(f"接続先 {written} を確認") == [Found("url", f"{scheme}{name}/p")]
    else:
        assert extract(f"接続先 {written} を確認") == [Found("domain", name)]


@settings(max_examples=20, deadline=None)
@given(address=st.ip_addresses(v=6).filter(lambda a: str(a) != "::"))
def test_any_ipv6_is_found(address):
    found = extract(f"from {address} today")
    assert found == [Found("ipv6", ipaddress.IPv6Address(address).compressed)]


def test_values_written_against_japanese_text():
    assert kinds("送信元はevil.example.comです。接続先は203.0.113.5でした") == [
        ("domain", "evil.example.com"), ("ipv4", "203.0.113.5")]

"""Indicators of compromise in free text: find, refang, normalise, de-duplicate. Pure.

`extract(text)` returns every IPv4/IPv6 address, domain, URL, MD5/SHA-1/SHA-256 hash, CVE id
and e-mail address in a topic or comment, once each, in the order they first appear.

Defanged writing is read as meant: `hxxp://`, `hxxps://`, `example[.]com`, `1.2.3[.]4`,
`example(.)com`, `[:]//`, `[://]`, `user[@]example.com`. The text is refanged first, then
searched; values are normalised (domains, hashes and e-mail addresses in lower case, IPv6 in
its compressed form) so the same indicator written twice is found once.

What is not taken, on purpose:
- the host of a URL or the domain of an e-mail address as a domain of its own: the URL or
  the address is the indicator (a phishing page on a compromised site does not make the site
  malicious);
- a "domain" whose last label is not a top-level domain in `TOP_LEVEL_DOMAINS` or a two-letter
  country code: `report.pdf`, `setup.exe`, `config.yaml` are file names. Country codes that are
  also common file extensions (`.py`, `.sh`, `.pl`, `.md`, `.rs`, `.ps`, `.so`, `.cs`) count
  only when the author defanged the name (`evil[.]sh`), which says it is meant as a domain;
- private, loopback, link-local and documentation addresses stay in (a report may rightly
  name them); the analyst chooses what becomes an indicator.
"""

import ipaddress
import re
from dataclasses import dataclass

IPV4, IPV6, DOMAIN, URL, MD5, SHA1, SHA256, CVE, EMAIL = (
    "ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256", "cve", "email")
KINDS = (IPV4, IPV6, DOMAIN, URL, MD5, SHA1, SHA256, CVE, EMAIL)
HASH_KINDS = {32: MD5, 40: SHA1, 64: SHA256}

# Generic and well-known top-level domains, beside every two-letter country code.
TOP_LEVEL_DOMAINS = frozenset("""
com net org info biz edu gov mil int arpa name pro mobi asia tel travel jobs aero coop museum cat
xyz top online site club shop store app dev cloud live tech icu vip work link click buzz space
website fun monster cyou rest bond sbs cfd lol quest today world email network support services
digital solutions agency company center group media news blog page host press life tokyo osaka
nagoya yokohama kyoto okinawa ryukyu moe jprs global zone best run ltd llc inc one plus win bid
loan men date download review stream trade party science racing accountant cricket faith gq
xin wang ren top kim red blue pink black shop ink design art studio games game casino bet poker
finance bank money capital exchange market trading crypto bitcoin wallet pay cash credit
help support systems software computer domains hosting server mail chat social network
""".split())
# Two-letter labels that are country codes and also everyday file extensions.
AMBIGUOUS_CC = frozenset({"py", "sh", "pl", "md", "rs", "ps", "so", "cs", "js", "ts", "db",
                          "gz", "7z", "rb", "hs", "vb", "bz", "xz"})

# Refanging: the common ways of writing an indicator so that it does not work as a link.
_REFANG = [
    (re.compile(r"(?<![A-Za-z0-9])h(?:xx|\*\*)p(s?)(?=\[?:)", re.IGNORECASE), r"http\1"),
    (re.compile(r"(?<![A-Za-z0-9])fxp(?=\[?:)", re.IGNORECASE), "ftp"),
    (re.compile(r"\[:\]//|\[://\]|\(://\)|\[:/\]/"), "://"),
    (re.compile(r"\[:\]"), ":"),
    (re.compile(r"\s?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})\s?", re.IGNORECASE), "."),
    (re.compile(r"\s?(?:\[@\]|\(@\)|\{@\}|\[at\])\s?", re.IGNORECASE), "@"),
    (re.compile(r"\[/\]"), "/"),
]
_MARK = r"(?:\s?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})\s?)"

_URL = re.compile(
    r"(?<![A-Za-z0-9])(?:https?|ftp)://[^\s<>\"'`\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]+",
    re.IGNORECASE)
_LABEL = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)"
_TLD = r"(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59})"
_HOSTNAME = rf"(?:{_LABEL}\.)+{_TLD}"
_DEFANGED_NAME = re.compile(
    rf"(?<![\w.-])(?:{_LABEL}(?:{_MARK}|\.))*{_LABEL}{_MARK}(?:{_LABEL}(?:{_MARK}|\.))*{_LABEL}",
    re.IGNORECASE | re.ASCII)
_EMAIL = re.compile(rf"(?<![\w.+-])[a-z0-9._%+-]{{1,64}}@({_HOSTNAME})\b(?![.-]?\w)",
                    re.IGNORECASE | re.ASCII)
_DOMAIN = re.compile(rf"(?<![\w.@-])({_HOSTNAME})\.?(?![\w-]|\.\w)", re.IGNORECASE | re.ASCII)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)", re.ASCII)
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?"
                   r"(?![\w:])", re.IGNORECASE | re.ASCII)
_HASH = re.compile(r"(?<![\w])(?:[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32})(?![\w])",
                   re.IGNORECASE | re.ASCII)
_CVE = re.compile(r"(?<![A-Za-z0-9])CVE-(\d{4})-(\d{4,7})(?![0-9])", re.IGNORECASE)
# Trailing characters that end a sentence rather than a URL.
_URL_TAIL = ".,;:!?'\"*"
_PAIRS = {")": "(", "]": "[", "}": "{", ">": "<"}


@dataclass(frozen=True)
class Found:
    kind: str
    value: str


def refang(text: str) -> str:
    for pattern, replacement in _REFANG:
        text = pattern.sub(replacement, text)
    return text


def extract(text: str) -> list[Found]:
    """Every indicator in the text, refanged and normalised, once each, in order of appearance."""
    if not text:
        return []
    defanged_domains = _defanged_names(text)
    text = refang(text)
    found: list[tuple[int, Found]] = []
    taken: list[tuple[int, int]] = []

    def take(start: int, end: int, item: Found | None) -> None:
        taken.append((start, end))
        if item is not None:
            found.append((start, item))

    for match in _URL.finditer(text):
        url = _trim_url(match.group(0))
        if _url_host(url):
            take(match.start(), match.start() + len(url), Found(URL, url))
    for match in _EMAIL.finditer(text):
        if _free(match.start(), match.end(), taken) and _is_tld(match.group(1), defanged_domains):
            take(match.start(), match.end(), Found(EMAIL, match.group(0).lower()))
    for match in _CVE.finditer(text):
        take(match.start(), match.end(), Found(CVE, f"CVE-{match.group(1)}-{match.group(2)}"))
    for match in _HASH.finditer(text):
        if _free(match.start(), match.end(), taken):
            value = match.group(0).lower()
            take(match.start(), match.end(), Found(HASH_KINDS[len(value)], value))
    for match in _IPV4.finditer(text):
        if _free(match.start(), match.end(), taken):
            try:
                address = ipaddress.IPv4Address(match.group(0))
            except ValueError:
                continue
            take(match.start(), match.end(), Found(IPV4, str(address)))
    for match in _IPV6.finditer(text):
        if _free(match.start(), match.end(), taken) and match.group(0).count(":") >= 2:
            try:
                address = ipaddress.IPv6Address(match.group(0))
            except ValueError:
                continue
            if not any(part for part in match.group(0).split(":")):
                continue  # "::" alone is punctuation, not an address
            take(match.start(), match.end(), Found(IPV6, address.compressed))
    for match in _DOMAIN.finditer(text):
        name = match.group(1).lower()
        if _free(match.start(), match.end(), taken) and _is_tld(name, defanged_domains) \
                and not _all_digits(name):
            take(match.start(), match.end(), Found(DOMAIN, name))

    seen: set[Found] = set()
    result = []
    for _start, item in sorted(found, key=lambda pair: pair[0]):
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def _defanged_names(text: str) -> frozenset[str]:
    """Names the author defanged (`evil[.]sh`): meant as domains whatever their ending."""
    return frozenset(refang(match.group(0)).lower() for match in _DEFANGED_NAME.finditer(text))


def _is_tld(name: str, defanged: frozenset[str]) -> bool:
    name = name.lower()
    tld = name.rsplit(".", 1)[-1]
    if tld.startswith("xn--") or tld in TOP_LEVEL_DOMAINS:
        return True
    if len(tld) == 2 and tld.isalpha():
        return tld not in AMBIGUOUS_CC or name in defanged
    return False


def _all_digits(name: str) -> bool:
    return name.replace(".", "").isdigit()


def _free(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return not any(start < t_end and t_start < end for t_start, t_end in taken)


def _trim_url(url: str) -> str:
    """Drop what ends the sentence around a URL: a full stop, an unmatched closing bracket."""
    while url:
        last = url[-1]
        if last in _URL_TAIL:
            url = url[:-1]
        elif last in _PAIRS and url.count(last) > url.count(_PAIRS[last]):
            url = url[:-1]
        else:
            break
    return url


def _url_host(url: str) -> str:
    rest = url.split("://", 1)[1]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    if host.startswith("["):
        return host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


# --- one value on its own (lists, CSV cells) ----------------------------------------------------

_WHOLE_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.{_TLD}$", re.IGNORECASE)
_WHOLE_EMAIL = re.compile(r"^[a-z0-9._%+-]{1,64}@(.+)$", re.IGNORECASE)
_WHOLE_HASH = re.compile(r"^[0-9a-f]+$", re.IGNORECASE)
_WHOLE_CVE = re.compile(r"^CVE-\d{4}-\d{4,7}$", re.IGNORECASE)


def classify(raw: str) -> Found | None:
    """What a single value is (a line of a blocklist, a cell of a CSV), refanged and normalised;
    None when it is none of the kinds. A written-out value needs no TLD check beyond its form:
    a list of domains says what it holds. IPv4 and IPv6 networks (CIDR) count as addresses."""
    value = refang(raw.strip())
    if not value or any(ch.isspace() for ch in value):
        return None
    if re.match(r"^(?:https?|ftp)://", value, re.IGNORECASE):
        return Found(URL, value) if _url_host(value) else None
    if _WHOLE_CVE.match(value):
        return Found(CVE, value.upper())
    if _WHOLE_HASH.match(value) and len(value) in HASH_KINDS:
        return Found(HASH_KINDS[len(value)], value.lower())
    address = _address(value)
    if address is not None:
        return address
    email = _WHOLE_EMAIL.match(value)
    if email:
        return Found(EMAIL, value.lower()) if _WHOLE_HOSTNAME.match(email.group(1)) else None
    name = value.rstrip(".")
    if _WHOLE_HOSTNAME.match(name) and not _all_digits(name):
        return Found(DOMAIN, name.lower())
    return None


def classify_as(kind: str, raw: str) -> Found | None:
    """The value if it really is of the kind a CSV header or a MISP type says it is."""
    found = classify(raw)
    if found is None:
        return None
    if found.kind == kind:
        return found
    return None


def _address(value: str) -> Found | None:
    try:
        network = ipaddress.ip_network(value, strict=False) if "/" in value else None
        address = None if network else ipaddress.ip_address(value)
    except ValueError:
        return None
    if network is not None:
        kind = IPV4 if network.version == 4 else IPV6
        if network.num_addresses == 1:
            return Found(kind, str(network.network_address.compressed))
        return Found(kind, network.compressed)
    return Found(IPV4 if address.version == 4 else IPV6, address.compressed)

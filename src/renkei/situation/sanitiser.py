"""The sanitiser: removes what identifies a victim from a text before the centre shares it.

Pure Python, no database: `directory.py` gathers what it must know (organisations with their
short names and readings, people's names, registered domains, internal system names) into a
`Directory`; `Sanitiser(directory).run(text)` returns the cleaned text and every replacement with
its position in the original, so a page can show both side by side.

How it matches (robustly, in one pass each):
- The text is normalised as a copy that remembers where each character came from: NFKC (full-width
  letters and digits, half-width katakana, ㈱), ASCII lower case, hiragana read as katakana,
  defanged addresses (`[.]`, `(.)`, `[at]`, `hxxp`) read as plain ones.
- Patterns (e-mail addresses, URLs, IPv4/IPv6 addresses, Japanese phone numbers, hostnames) run on
  that copy. A hostname in a registered domain (or below it) is a domain of the organisation.
- Known names (organisations, their short names and readings, people with and without the space
  between family and given name, a family name with さん/様/氏…, system names, domain labels) are
  looked up on the same copy without spaces, ・ and hyphens (「さくら 通信」, 「高橋誠」 are found).
  The names form a trie: a character class finds the positions where a name may start, and one
  compiled regular expression per first character takes the longest name there — the work grows
  with the text, not with the number of names (Aho–Corasick in spirit).
- Overlapping finds keep the one that starts first, then the longest.

Placeholders are stable within one text: every name of one organisation becomes the same
［組織A］, the next organisation ［組織B］, and so on. They are Japanese, as the shared text is.
"""

import ipaddress
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

ORGANISATION = "organisation"
PERSON = "person"
EMAIL = "email"
PHONE = "phone"
URL = "url"
IP = "ip"
DOMAIN = "domain"
HOSTNAME = "hostname"
SYSTEM = "system"
EXTRA = "extra"

PLACEHOLDERS = {
    PERSON: "［氏名］",
    EMAIL: "［メールアドレス］",
    PHONE: "［電話番号］",
    URL: "［URL］",
    IP: "［IPアドレス］",
    DOMAIN: "［ドメイン］",
    HOSTNAME: "［ホスト名］",
    SYSTEM: "［システム名］",
    EXTRA: "［非公開］",
}

# Legal forms left out to find an organisation's short name: さくら通信株式会社 -> さくら通信.
LEGAL_FORMS = (
    "株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "(株)", "(有)", "(同)",
    "一般社団法人", "一般財団法人", "公益社団法人", "公益財団法人", "独立行政法人",
    "国立研究開発法人", "特定非営利活動法人", "npo法人", "地方独立行政法人",
    "co.,ltd.", "co., ltd.", "co.ltd.", "ltd.", "inc.", "corporation", "corp.", "k.k.",
)
# Words that say what an organisation does: かもめ鉄道 is also called かもめ.
BUSINESS_WORDS = (
    "ホールディングス", "グループ", "ネットワークス", "ネットワーク", "通信", "放送", "銀行",
    "信用金庫", "カード", "航空", "鉄道", "電鉄", "電力", "ガス", "水道局", "下水道局", "物流",
    "運輸", "国際空港", "空港", "高速道路", "熱供給", "バス", "警備保障", "警備", "旅行",
    "総合病院", "病院", "気象サービス", "証券", "保険", "生命", "損保", "交通",
)
# Items of an "affected systems" field that name nothing in particular.
GENERIC_SYSTEMS = frozenset(
    _word for _word in (
        "webサイト", "ウェブサイト", "ホームページ", "サイト", "メール", "メールサーバ",
        "サーバ", "サーバー", "システム", "ネットワーク", "端末", "pc", "パソコン", "クラウド",
        "クラウドサービス", "公式サイト", "公式webサイト", "社内ネットワーク", "業務システム",
        "基幹システム", "dns", "vpn", "web", "不明", "なし", "特になし", "その他",
    )
)
HONORIFICS = ("さん", "様", "さま", "氏", "殿", "くん", "ちゃん", "部長", "課長", "係長", "主任",
              "室長", "センター長", "担当")
FREE_MAIL = frozenset({"gmail.com", "yahoo.co.jp", "outlook.com", "hotmail.com", "icloud.com",
                       "outlook.jp", "docomo.ne.jp", "ezweb.ne.jp", "softbank.ne.jp"})
# Last labels taken as the top of a hostname (a file name such as report.pdf is not one).
TOP_LEVEL = frozenset("""
com net org info biz edu gov mil int io co jp us uk de fr ru cn kr tw hk sg au ca in br it es nl
se ch eu xyz top site online club shop app dev cloud tech live tv me cc ws pw su vn id th ph my
example test local localhost internal lan corp home arpa onion tokyo osaka nagoya yokohama
""".split())
# co.jp, or.jp …: the label before them is the distinctive one.
SECOND_LEVEL = frozenset({"co", "or", "ne", "go", "ac", "ed", "lg", "gr", "ad", "com", "net",
                          "org", "gov"})
MIN_NAME = 2  # shorter names (one character) would match everywhere


# --- normalisation ---------------------------------------------------------------------------

# Left out when names are compared: spaces, ・ and hyphens (SAKURA TSUSHIN is sakura-tsushin).
_GAPS = re.compile(r"[\s・\-‐_]+")
_NO_GAPS = re.compile(r"[^\s・\-‐_]+")
_FOLD = {**{ord(c): ord(c) + 32 for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
         **{cp: cp + 0x60 for cp in range(0x3041, 0x3097)}, 0x309D: 0x30FD, 0x309E: 0x30FE}
_DEFANG = {"[.]": ".", "(.)": ".", "[dot]": ".", "[at]": "@", "(at)": "@", "[:]": ":",
           "[://]": "://"}


def _unstable_class() -> str:
    """The characters (BMP) NFKC changes, as a regex class of ranges."""
    ranges, start, last = [], None, None
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if unicodedata.normalize("NFKC", ch) != ch:
            if start is not None and cp == last + 1:
                last = cp
                continue
            if start is not None:
                ranges.append((start, last))
            start = last = cp
    if start is not None:
        ranges.append((start, last))
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                   for a, b in ranges)


_SPECIAL: re.Pattern | None = None


def _special() -> re.Pattern:
    global _SPECIAL
    if _SPECIAL is None:
        defang = "|".join(re.escape(k) for k in sorted(_DEFANG, key=len, reverse=True))
        _SPECIAL = re.compile(f"[{_unstable_class()}]+|{defang}|hxxp|HXXP|fxp", re.I)
    return _SPECIAL


def fold(text: str) -> str:
    """A name as the matcher sees it: NFKC, lower case, katakana, no spaces or ・."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    return _GAPS.sub("", text)


def _domain_form(domain: str) -> str:
    return unicodedata.normalize("NFKC", domain).strip().lower().rstrip(".")


@dataclass
class Normalised:
    """The normalised copy of a text and the way back to the original's positions."""

    text: str
    # Blocks whose length changed: (norm start, norm end, orig start, orig end), in order.
    blocks: list[tuple[int, int, int, int]]
    compact: str = ""
    runs: list[tuple[int, int]] = field(default_factory=list)  # (compact start, norm start)

    def __post_init__(self) -> None:
        self._block_starts = [b[0] for b in self.blocks]
        pieces, runs, at = [], [], 0
        for match in _NO_GAPS.finditer(self.text):
            runs.append((at, match.start()))
            pieces.append(match.group())
            at += match.end() - match.start()
        self.compact = "".join(pieces)
        self.runs = runs
        self._run_starts = [r[0] for r in runs]

    def orig_start(self, p: int) -> int:
        i = bisect_right(self._block_starts, p) - 1
        if i < 0:
            return p
        _ns, ne, os_, oe = self.blocks[i]
        return os_ if p < ne else oe + (p - ne)

    def orig_end(self, p: int) -> int:
        i = bisect_right(self._block_starts, p - 1) - 1
        if i < 0:
            return p
        _ns, ne, _os, oe = self.blocks[i]
        return oe if p <= ne else oe + (p - ne)

    def norm_of_compact_start(self, c: int) -> int:
        i = bisect_right(self._run_starts, c) - 1
        cs, ns = self.runs[i]
        return ns + (c - cs)

    def norm_of_compact_end(self, c: int) -> int:
        i = bisect_right(self._run_starts, c - 1) - 1
        cs, ns = self.runs[i]
        return ns + (c - cs)


def normalise(text: str) -> Normalised:
    pieces, blocks, at_orig, at_norm = [], [], 0, 0

    def put(replaced: str, start: int, end: int) -> None:
        nonlocal at_norm
        pieces.append(replaced)
        if len(replaced) != end - start:
            blocks.append((at_norm, at_norm + len(replaced), start, end))
        at_norm += len(replaced)

    for match in _special().finditer(text):
        start, end = match.span()
        pieces.append(text[at_orig:start])
        at_norm += start - at_orig
        at_orig = end
        found = match.group()
        lowered = found.lower()
        if lowered in _DEFANG:
            put(_DEFANG[lowered], start, end)
        elif lowered in {"hxxp", "fxp"}:
            put("http" if lowered == "hxxp" else "ftp", start, end)
        else:
            whole = unicodedata.normalize("NFKC", found)
            single = [unicodedata.normalize("NFKC", ch) for ch in found]
            if len(whole) == len(found) or sum(map(len, single)) != len(whole):
                # 1:1, or characters that combine (ｶﾞ is ガ): one block for the whole run.
                put(whole, start, end)
            else:
                # Only the characters that grow (… is ...) become blocks of their own.
                for offset, replaced in enumerate(single):
                    put(replaced, start + offset, start + offset + 1)
    pieces.append(text[at_orig:])
    return Normalised("".join(pieces).translate(_FOLD), blocks)


# --- the directory ---------------------------------------------------------------------------

@dataclass(frozen=True)
class OrganisationNames:
    key: str  # any stable id
    name: str
    aliases: tuple[str, ...] = ()  # short names, readings, romanised names, other domains
    domains: tuple[str, ...] = ()  # registered domains (e-mail domains of its people …)


@dataclass(frozen=True)
class Directory:
    organisations: tuple[OrganisationNames, ...] = ()
    people: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()  # internal system names (a report's "affected systems")
    extra: tuple[str, ...] = ()  # anything else the centre wants removed


def short_names(name: str) -> list[str]:
    """Names an organisation also goes by, derived from its full name."""
    found = []
    base = unicodedata.normalize("NFKC", name).strip()
    lowered = base.lower()
    stripped = base
    for form in LEGAL_FORMS:
        position = lowered.find(form)
        if position != -1:
            stripped = (base[:position] + base[position + len(form):]).strip(" ,.")
            lowered = stripped.lower()
            base = stripped
    if stripped and stripped != unicodedata.normalize("NFKC", name).strip():
        found.append(stripped)
        # さくら通信株式会社 is also written (株)さくら通信 and さくら通信(株).
        for form, short in (("株式会社", "(株)"), ("有限会社", "(有)"), ("合同会社", "(同)")):
            if form in name:
                found += [f"{short}{stripped}", f"{stripped}{short}"]
    # 首都警察 サイバー対策課 -> 首都警察; みなと市 情報政策課 -> みなと市
    head = stripped.split()[0] if stripped.split() else ""
    if head and head != stripped and len(fold(head)) >= 3:
        found.append(head)
    for word in BUSINESS_WORDS:
        if stripped.endswith(word) and len(fold(stripped[: -len(word)])) >= 3:
            found.append(stripped[: -len(word)])
            break
    return found


def split_systems(field_text: str) -> list[str]:
    """The names in an "affected systems" field: one per line or between commas, plus the
    identifiers in brackets (予約システム（rsv-web01） gives both)."""
    names = []
    for item in re.split(r"[\n,、，;；/／]+", field_text or ""):
        item = item.strip(" \t・-*")
        if not item:
            continue
        inner = re.findall(r"[（(]([^（）()]+)[)）]", item)
        outer = re.sub(r"[（(][^（）()]*[)）]", "", item).strip()
        for candidate in [outer, *inner]:
            if len(fold(candidate)) >= 3 and fold(candidate) not in GENERIC_SYSTEMS:
                names.append(candidate.strip())
    return names


# --- matching --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Replacement:
    start: int  # in the original text
    end: int
    original: str
    placeholder: str
    category: str
    new_start: int = 0  # in the sanitised text
    new_end: int = 0


@dataclass(frozen=True)
class Result:
    original: str
    text: str
    replacements: tuple[Replacement, ...]

    def segments(self, sanitised: bool = False) -> list[tuple[str, Replacement | None]]:
        """The original (or sanitised) text cut into plain and replaced pieces, for a diff."""
        source = self.text if sanitised else self.original
        out, at = [], 0
        for r in self.replacements:
            start, end = (r.new_start, r.new_end) if sanitised else (r.start, r.end)
            if start > at:
                out.append((source[at:start], None))
            out.append((source[start:end], r))
            at = end
        if at < len(source):
            out.append((source[at:], None))
        return out

    @property
    def found(self) -> list[str]:
        """The distinct strings replaced, in order of appearance."""
        return list(dict.fromkeys(r.original for r in self.replacements))


_EMAIL = r"[a-z0-9._%+\-]+@(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,24}"
_URL = r"(?:https?|ftp)://[a-z0-9\-._~:/?#@!$&*+,;=%]*[a-z0-9\-_~/#=%&+]"
_IPV4 = r"(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![0-9]|\.[0-9])"
_IPV6 = r"(?<![0-9a-f:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:/\d{1,3})?(?![0-9a-f:])"
_SEP = r"[\-‐‑‒–—―−ー\s]?"
_PHONE = (r"(?<![0-9a-z\-.])(?:\+81" + _SEP + r"\(?0?\d{1,4}\)?|\(?0\d{1,4}\)?)" + _SEP
          + r"\d{1,4}" + _SEP + r"\d{3,4}(?![0-9])")
_HOST = (r"(?<![a-z0-9\-.@/])(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+"
         r"[a-z][a-z0-9\-]{0,22}[a-z0-9](?![a-z0-9\-])")
_PATTERNS = re.compile(
    f"(?P<url>{_URL})|(?P<email>{_EMAIL})|(?P<ipv4>{_IPV4})|(?P<ipv6>{_IPV6})"
    f"|(?P<phone>{_PHONE})|(?P<host>{_HOST})"
)


def _trie_pattern(node: dict) -> str:
    leaves = [ch for ch, child in node.items() if ch and child == {"": {}}]
    branches = [(ch, child) for ch, child in sorted(node.items())
                if ch and child != {"": {}}]
    alternatives = [re.escape(ch) + _trie_pattern(child) for ch, child in branches]
    if len(leaves) == 1:
        alternatives.append(re.escape(leaves[0]))
    elif leaves:
        alternatives.append("[" + "".join(re.escape(ch) for ch in sorted(leaves)) + "]")
    if not alternatives:
        return ""
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    if "" in node:
        body = f"(?:{body})?"
    return body


class _Names:
    """Longest-match lookup of many names: a character class for the first character, then
    one compiled trie per first character."""

    def __init__(self, names: dict[str, tuple[str, str]]) -> None:
        self.names = names  # folded name -> (category, entity key)
        roots: dict[str, dict] = {}
        for name in names:
            node = roots.setdefault(name[0], {})
            for ch in name[1:]:
                node = node.setdefault(ch, {})
            node[""] = {}
        self.rest = {ch: re.compile(_trie_pattern(node)) for ch, node in roots.items()}
        starts = "".join(re.escape(ch) for ch in sorted(roots))
        self.first = re.compile(f"[{starts}]") if starts else None

    def find(self, text: str) -> Iterable[tuple[int, int, str]]:
        if self.first is None:
            return
        after = 0
        for match in self.first.finditer(text):
            start = match.start()
            if start < after:
                continue
            # The trie only matches whole names, and the longest one: at each step only one
            # branch can take the next character, and a name's end is a greedy optional.
            rest = self.rest[text[start]].match(text, start + 1)
            if rest is not None and rest.end() > start + 1:
                yield start, rest.end(), text[start:rest.end()]
                after = rest.end()


def _alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class Sanitiser:
    """`base`: a sanitiser already compiled for the platform's directory; this one adds the
    (few) names of `directory` to it without compiling the many again."""

    def __init__(self, directory: Directory, base: "Sanitiser | None" = None) -> None:
        names: dict[str, tuple[str, str]] = {}
        self.domains: dict[str, str] = dict(base.domains) if base is not None else {}
        self.matchers: list[_Names] = list(base.matchers) if base is not None else []

        def add(name: str, category: str, key: str) -> None:
            folded = fold(name)
            if len(folded) >= MIN_NAME and folded not in names:
                names[folded] = (category, key)

        for org in directory.organisations:
            add(org.name, ORGANISATION, org.key)
            for alias in (*short_names(org.name), *org.aliases):
                if "." in alias and " " not in alias.strip() and re.fullmatch(
                        _HOST, _domain_form(alias)):
                    self._add_domain(_domain_form(alias), org.key, add)
                else:
                    add(alias, ORGANISATION, org.key)
                    for short in short_names(alias):
                        add(short, ORGANISATION, org.key)
            for domain in org.domains:
                self._add_domain(_domain_form(domain), org.key, add)
        for person in directory.people:
            parts = unicodedata.normalize("NFKC", person).split()
            add(person, PERSON, fold(person))
            if len(parts) >= 2:
                add(" ".join(reversed(parts)), PERSON, fold(person))
                family = parts[-1] if parts[0].isascii() else parts[0]
                for honorific in HONORIFICS:
                    add(family + honorific, PERSON, fold(person))
        for system in directory.systems:
            add(system, SYSTEM, fold(system))
        for extra in directory.extra:
            add(extra, EXTRA, fold(extra))
        if names:
            self.matchers.append(_Names(names))

    def _add_domain(self, domain: str, key: str, add) -> None:
        if domain in FREE_MAIL:
            return
        self.domains[domain] = key
        # The distinctive label (sakura-tsushin of sakura-tsushin.example) names the owner too.
        labels = domain.split(".")
        if len(labels) >= 3 and labels[-2] in SECOND_LEVEL:
            label = labels[-3]
        else:
            label = labels[-2] if len(labels) >= 2 else ""
        if len(label) >= 4 and label not in TOP_LEVEL:
            add(label, ORGANISATION, key)

    # -- one text --

    def run(self, text: str) -> Result:
        text = text or ""
        norm = normalise(text)
        candidates: list[tuple[int, int, str, str]] = []  # orig start, end, category, entity
        for match in _PATTERNS.finditer(norm.text):
            found = self._classify(match)
            if found is not None:
                start, end = norm.orig_start(match.start()), norm.orig_end(match.end())
                candidates.append((start, end, *found))
        for matcher in self.matchers:
            for c_start, c_end, name in matcher.find(norm.compact):
                n_start = norm.norm_of_compact_start(c_start)
                n_end = norm.norm_of_compact_end(c_end)
                if not self._word_bounded(norm.text, n_start, n_end, name):
                    continue
                category, key = matcher.names[name]
                candidates.append((norm.orig_start(n_start), norm.orig_end(n_end), category,
                                   key))
        return self._apply(text, candidates)

    @staticmethod
    def _word_bounded(text: str, start: int, end: int, name: str) -> bool:
        """A name that begins (ends) with a Latin letter or digit must not continue a word
        there: moore is not found in Mooreland."""
        if _alnum(name[0]) and start > 0 and _alnum(text[start - 1]):
            return False
        return not (_alnum(name[-1]) and end < len(text) and _alnum(text[end]))

    def _domain_owner(self, host: str) -> str | None:
        labels = host.split(".")
        for i in range(len(labels) - 1):
            owner = self.domains.get(".".join(labels[i:]))
            if owner is not None:
                return owner
        return None

    def _classify(self, match: re.Match) -> tuple[str, str] | None:
        kind, value = match.lastgroup, match.group()
        if kind == "url":
            return URL, value
        if kind == "email":
            return EMAIL, value
        if kind in {"ipv4", "ipv6"}:
            if kind == "ipv6" and not re.search(r"[0-9a-f]", value):
                return None
            try:
                ipaddress.ip_interface(value)
            except ValueError:
                return None
            return IP, value
        if kind == "phone":
            digits = re.sub(r"\D", "", value)
            digits = "0" + digits[2:].lstrip("0") if digits.startswith("81") else digits
            return (PHONE, digits) if 10 <= len(digits) <= 11 else None
        host = value.rstrip(".")
        owner = self._domain_owner(host)
        if owner is not None:
            return DOMAIN, owner
        labels = host.split(".")
        if labels[-1] in TOP_LEVEL or (len(labels) >= 3 and labels[-1].isalpha()):
            return HOSTNAME, host
        return None

    def _apply(self, text: str, candidates) -> Result:
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        letters: dict[str, str] = {}
        pieces, replacements, at, shift = [], [], 0, 0
        for start, end, category, key in candidates:
            if start < at or end <= start:
                continue  # overlaps one already taken
            if category == ORGANISATION:
                if key not in letters:
                    letters[key] = _letter(len(letters))
                placeholder = f"［組織{letters[key]}］"
            else:
                placeholder = PLACEHOLDERS[category]
            pieces.append(text[at:start])
            new_start = start + shift
            pieces.append(placeholder)
            shift += len(placeholder) - (end - start)
            replacements.append(Replacement(start, end, text[start:end], placeholder, category,
                                            new_start, new_start + len(placeholder)))
            at = end
        pieces.append(text[at:])
        return Result(text, "".join(pieces), tuple(replacements))


def _letter(n: int) -> str:
    """A, B, … Z, AA, AB, …"""
    out = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def sanitise(text: str, directory: Directory) -> Result:
    return Sanitiser(directory).run(text)

"""What the centre vouches for: the sources of curated collections and blocklists, and the
values no blocklist may carry.

Curated collections and every blocklist go to machines that apply them blindly (firewalls,
proxies, DNS filters), for every organisation at once, and a plain list carries no provenance.
So two rules hold for them, beside the read rule and the pass-on rule:

1. **Vetted sources only** (`vetted()`): an object is vetted when the centre posted it in one of
   the communities every organisation reads (broadcast, manual/FAQ: only the centre posts
   there), or when centre staff accepted that very version (`accept_for_curation`, audited). A
   newer version of an accepted object needs accepting again: its values may have changed.
   Objects that participants post — even in the centre's own open community, where every
   organisation may post — are not vetted until the centre accepts them.
2. **No value that would hurt everyone** (`value_refusal`, `screen`): unspecified, loopback,
   private, link-local, multicast, reserved and other not-globally-routable ranges (but not the
   documentation ranges, which are routed nowhere and which examples use); networks
   broader than `RENKEI_BLOCKLIST_MIN_PREFIX_V4` / `_V6` (/16, /32); and the names in
   `protected_values()`: the platform's own domains (`RENKEI_BASE_URL`, `ALLOWED_HOSTS`,
   `RENKEI_BLOCKLIST_PROTECTED_DOMAINS`), a few well-known domains (`WELL_KNOWN_DOMAINS`) and
   every registered organisation's own domains (the domains of its people's e-mail addresses)
   — each with its subdomains and the domains above it (blocking `co.jp` blocks them too).
   Patterns that compare such values other than by equality or subset (`!=`, `LIKE`,
   `MATCHES`, `NOT`, ranges) could match almost anything and are refused as well.

Every refusal is counted with its reason (`Refusals`), shown where the list is served and
logged; nothing is refused silently.
"""

import ipaddress
import json
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from renkei.accounts import audit
from renkei.accounts.models import OrganisationKind, User
from renkei.communities.audiences import shared_item
from renkei.communities.models import EVERYONE_READS
from renkei.errors import ServiceError
from renkei.intel.models import CurationAcceptance, StixObject
from renkei.sharing import passing
from renkei.sharing.models import LIVE_ENVIRONMENT_ID

logger = logging.getLogger(__name__)

# Domains whose blocking would break, for every organisation at once, what a victim needs most:
# operating-system updates, certificate revocation checks, time and name resolution, and the
# coordination channels themselves. Kept short on purpose: each entry is a name no honest
# indicator is ever equal to, a parent of, or under. Sites that are merely popular (and may
# host a phishing page) are not here: a URL on them can still be listed.
WELL_KNOWN_DOMAINS = (
    "windowsupdate.com",     # Windows Update
    "update.microsoft.com",  # Windows Update
    "digicert.com",          # OCSP / CRL of a large certificate authority
    "letsencrypt.org",       # OCSP of Let's Encrypt
    "pki.goog",              # Google Trust Services OCSP / CRL
    "ntp.org",               # time
    "nict.go.jp",            # Japan Standard Time (NTP)
    "root-servers.net",      # the DNS root
    "jpcert.or.jp",          # JPCERT/CC, where incidents are coordinated
)
# STIX object types whose values are addresses or names (SCOs and indicator pattern paths).
NETWORK_TYPES = ("ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr",
                 "network-traffic")
# Documentation ranges (RFC 5737, RFC 3849) are routed nowhere, so listing them hurts no one;
# examples, exercises and tests use them. Python counts them as private; they are let through.
DOCUMENTATION_NETWORKS = tuple(ipaddress.ip_network(block) for block in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"))
SAFE_OPERATORS = frozenset({"=", "ISSUBSET", "ISSUPERSET", "IN"})
_LITERAL = r"'(?:[^'\\]|\\.)*'"
_COMPARISON = re.compile(
    r"(?P<type>[a-z0-9-]+):(?P<path>[A-Za-z0-9_.'\[\]*-]+)\s*(?P<not>NOT\s+)?"
    r"(?P<op>!=|<=|>=|=|<|>|ISSUBSET|ISSUPERSET|LIKE|MATCHES|IN)\s*"
    rf"(?P<rhs>{_LITERAL}|\((?:\s*{_LITERAL}\s*,?)*\s*\)|[^\s\]]+)")
_LITERALS = re.compile(_LITERAL)


@dataclass(frozen=True)
class ProtectedValues:
    """Names and networks no blocklist may carry, with why (shown to readers)."""

    domains: dict[str, str] = field(default_factory=dict)
    networks: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = ()

    def __post_init__(self) -> None:
        covering: dict[str, str] = {}
        for domain in self.domains:
            labels = domain.split(".")
            for i in range(1, len(labels) - 1):  # not the bare top-level domain
                parent = ".".join(labels[i:])
                if parent and parent not in self.domains:
                    covering.setdefault(parent, domain)
        object.__setattr__(self, "_covering", covering)

    def domain_reason(self, name: str) -> str | None:
        labels = name.lower().rstrip(".").split(".")
        for i in range(len(labels)):
            reason = self.domains.get(".".join(labels[i:]))
            if reason:
                return reason
        covered = self._covering.get(".".join(labels))
        if covered:
            return _("would also block %(domain)s (%(reason)s)") % {
                "domain": covered, "reason": self.domains[covered]}
        return None


def protected_values() -> ProtectedValues:
    """Everything no blocklist may carry. One function, so later sources (registered
    observation assets) add to it here and every list and collection follows."""
    domains: dict[str, str] = {}
    networks: list = []
    own = _("the platform's own domain")

    def add(name: str, reason: str) -> None:
        name = name.strip().lower().lstrip("*").lstrip(".").rstrip(".")
        if not name:
            return
        try:
            networks.append((ipaddress.ip_network(name.strip("[]"), strict=False), reason))
        except ValueError:
            if "." in name:
                domains.setdefault(name, reason)

    add(urlsplit(settings.BASE_URL).hostname or "", own)
    for host in settings.ALLOWED_HOSTS:
        add(host, own)
    for name in settings.BLOCKLIST_PROTECTED_DOMAINS:
        add(name, _("a domain the platform protects"))
    for name in WELL_KNOWN_DOMAINS:
        add(name, _("a well-known domain that must not be blocked"))
    for email in User.objects.filter(organisation__is_active=True).values_list(
            "email", flat=True).distinct():
        add(email.rpartition("@")[2], _("a registered organisation's own domain"))
    return ProtectedValues(domains=domains, networks=tuple(networks))


# --- one value -------------------------------------------------------------------------------

def network_refusal(value: str, protected: ProtectedValues) -> str | None:
    try:
        network = ipaddress.ip_network(value.strip("[]"), strict=False)
    except ValueError:
        return None
    minimum = settings.BLOCKLIST_MIN_PREFIX_V4 if network.version == 4 \
        else settings.BLOCKLIST_MIN_PREFIX_V6
    if network.prefixlen < minimum:
        return _("a network broader than /%(prefix)d") % {"prefix": minimum}
    if any(network.subnet_of(block) for block in DOCUMENTATION_NETWORKS
           if block.version == network.version):
        return _protected_network(network, protected)
    for flag, reason in (
            ("is_unspecified", _("the unspecified address")),
            ("is_loopback", _("a loopback range")),
            ("is_link_local", _("a link-local range")),
            ("is_multicast", _("a multicast range")),
            ("is_reserved", _("a reserved range")),
            ("is_private", _("a private range"))):
        if getattr(network, flag):
            return reason
    if not network.network_address.is_global or not network.broadcast_address.is_global:
        return _("not a public address")
    return _protected_network(network, protected)


def _protected_network(network, protected: ProtectedValues) -> str | None:
    for protected_network, reason in protected.networks:
        if protected_network.version == network.version and network.overlaps(protected_network):
            return reason
    return None


def value_refusal(stix_type: str, value: str, protected: ProtectedValues) -> str | None:
    """Why this value must not be on a blocklist (translated), or None. `stix_type` is the SCO
    type the value belongs to (`ipv4-addr`, `domain-name`, `url`, `email-addr`, …)."""
    value = value.strip()
    if stix_type in {"ipv4-addr", "ipv6-addr", "network-traffic"}:
        return network_refusal(value, protected)
    if stix_type == "domain-name":
        return network_refusal(value, protected) or protected.domain_reason(value)
    if stix_type == "url":
        try:
            host = urlsplit(value).hostname or ""
        except ValueError:
            return None
        return network_refusal(host, protected) or (
            protected.domain_reason(host) if host else None)
    if stix_type == "email-addr":
        return protected.domain_reason(value.rpartition("@")[2])
    return None


def pattern_refusal(pattern: str, protected: ProtectedValues) -> tuple[str, str] | None:
    """(value, reason) for the first comparison of a STIX pattern that must not be served."""
    for match in _COMPARISON.finditer(pattern):
        stix_type = match.group("type")
        if stix_type not in NETWORK_TYPES:
            continue
        if match.group("not") or match.group("op") not in SAFE_OPERATORS:
            return match.group(0)[:200], _(
                "a comparison that could match almost any address or name")
        for literal in _LITERALS.findall(match.group("rhs")):
            value = literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")
            kind = stix_type if stix_type != "network-traffic" else "ipv4-addr"
            reason = value_refusal(kind, value, protected)
            if reason:
                return value, reason
    return None


# --- counting what was refused ---------------------------------------------------------------

@dataclass(frozen=True)
class Refused:
    value: str
    reason: str


@dataclass
class Refusals:
    """What a list or collection left out, and why."""

    items: list[Refused] = field(default_factory=list)

    def add(self, value: str, reason: str) -> None:
        self.items.append(Refused(value, reason))

    def __len__(self) -> int:
        return len(self.items)

    def summary(self, limit: int = 20) -> str:
        """e.g. "2 refused: 10.0.0.0/8 (a private range); ::/0 (a network broader than /32)"."""
        if not self.items:
            return ""
        shown = "; ".join(f"{item.value} ({item.reason})" for item in self.items[:limit])
        more = len(self.items) - limit
        if more > 0:
            shown += "; " + _("and %(n)d more") % {"n": more}
        return ngettext("%(n)d refused: %(values)s", "%(n)d refused: %(values)s",
                        len(self.items)) % {"n": len(self.items), "values": shown}

    def log(self, where: str) -> None:
        if self.items:
            logger.warning("%s: %s", where, self.summary(limit=100))


# --- vetted sources --------------------------------------------------------------------------

def vetted() -> Q:
    """Objects the centre vouches for (see the module's docstring), as a StixObject filter."""
    return Q(community__kind__in=EVERYONE_READS,
             added_by_organisation__kind=OrganisationKind.CENTRE) | Q(
        curation_acceptance__isnull=False)


def screen(objects: QuerySet, protected: ProtectedValues | None = None,
           refusals: Refusals | None = None) -> set[int]:
    """Primary keys of the objects whose values must not be served (indicators by their
    pattern, observables by their value); each is added to `refusals` with its reason."""
    protected = protected if protected is not None else protected_values()
    refused: set[int] = set()
    rows = objects.filter(Q(type="indicator") | Q(type__in=NETWORK_TYPES)).values_list(
        "pk", "type", "pattern", "raw")
    for pk, stix_type, pattern, raw in rows.iterator(chunk_size=2000):
        if stix_type == "indicator":
            found = pattern_refusal(pattern, protected)
        else:
            value = str(json.loads(raw).get("value", ""))
            reason = value_refusal(stix_type, value, protected)
            found = (value, reason) if reason else None
        if found is not None:
            refused.add(pk)
            if refusals is not None:
                refusals.add(*found)
    return refused


def curated(objects: QuerySet, refusals: Refusals | None = None) -> QuerySet:
    """The vetted objects of `objects`, less those whose values must not be served."""
    objects = objects.filter(vetted())
    refused = screen(objects, refusals=refusals)
    return objects.exclude(pk__in=refused) if refused else objects


# --- the centre accepts ----------------------------------------------------------------------

def may_accept(user) -> bool:
    return user.is_authenticated and user.is_centre_staff


def accept_for_curation(*, actor, stix_object: StixObject, note: str = "") -> CurationAcceptance:
    """Centre staff vouch for one stored version they read: it may go into the curated
    collections and blocklists. The pass-on rule decides first (a collection every
    organisation reads: never a consultation-window report, never beyond what its TLP allows);
    harmful values are still left out where the lists are built."""
    if not may_accept(actor):
        raise ServiceError(_("Only the centre's staff accept indicators for the curated "
                             "collections."))
    passing.check(object_item(stix_object), passing.Destination(
        kind=passing.Kind.CURATED, readers=passing.Readers.everyone(),
        environment_id=LIVE_ENVIRONMENT_ID, name="curated"),
        actor_organisation_id=actor.organisation_id)
    with transaction.atomic():
        acceptance, created = CurationAcceptance.objects.get_or_create(
            stix_object=stix_object, defaults={"accepted_by": actor, "note": note[:500]})
        if created:
            audit.record(actor, "intel.curation.accept", stix_object,
                         stix_id=stix_object.stix_id, community=stix_object.community_id,
                         note=note[:500])
    return acceptance


def withdraw_from_curation(*, actor, stix_object: StixObject) -> None:
    if not may_accept(actor):
        raise ServiceError(_("Only the centre's staff accept indicators for the curated "
                             "collections."))
    with transaction.atomic():
        deleted, _rows = CurationAcceptance.objects.filter(stix_object=stix_object).delete()
        if deleted:
            audit.record(actor, "intel.curation.withdraw", stix_object,
                         stix_id=stix_object.stix_id, community=stix_object.community_id)


def object_item(obj: StixObject) -> passing.Item:
    """A stored version as the pass-on rule sees it: who added it stands in for an author."""
    return shared_item(obj, author=obj.added_by,
                       origin_organisation_id=obj.added_by_organisation_id)

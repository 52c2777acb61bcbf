"""Values to STIX 2.1: indicators with proper patterns, observables, markings. Pure.

Ids are deterministic so the same value imported twice is the same object:
- an indicator's id follows from its kind and normalised value (`indicator_id`), whatever
  format brought it (list, CSV, MISP, text); the store keeps one history per id and
  community, so the same value shared in two communities is two histories;
- observables (SCOs) get the id the STIX 2.1 specification defines (UUIDv5 of their
  id-contributing properties in the STIX namespace), so they match what other producers send;
- a MISP event's report keeps the event's UUID (`report--<event uuid>`);
- `owned` then makes every non-SCO id the importing organisation's own (only the creator of
  an object adds versions of it, so two organisations importing one value need two objects),
  and writes the organisation in as `created_by_ref`.

A published namespace lets anyone who guesses a value compute its id. That is harmless for
TLP:CLEAR and TLP:GREEN, but an id that names a confined value would let a reader of the id
confirm the guess: ids derived for AMBER, AMBER+STRICT and RED are keyed by a secret instead
(`derived_uuid`: an HMAC under a key derived from SECRET_KEY), the same for the three, so
re-importing a value under a stricter one of them is still its next version.
"""

import json
import re
import uuid
from datetime import UTC, datetime

from django.utils.crypto import salted_hmac

from renkei.feeds import extract
from renkei.intel.stix import REF_PROPERTIES, SCO_TYPES, TLP_MARKING_IDS, tlp_of
from renkei.sharing.models import TLP

# renkei's own namespace for ids derived from values (uuid5 of the DNS namespace and the name).
RENKEI_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "indicators.renkei.example")
# The STIX 2.1 namespace for deterministic SCO ids (specification, section 2.9).
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

# Markings whose derived ids may follow from the value with a published namespace.
PUBLISHED_IDS = frozenset({TLP.CLEAR, TLP.GREEN})
DERIVED_ID_SALT = "renkei.feeds.derived-id"


def derived_uuid(name: str, tlp: str) -> uuid.UUID:
    """The UUID an object derived from `name` gets: UUIDv5 in renkei's namespace for CLEAR and
    GREEN, else keyed by the server's secret (not computable from the value alone)."""
    if TLP(tlp) in PUBLISHED_IDS:
        return uuid.uuid5(RENKEI_NAMESPACE, name)
    digest = salted_hmac(DERIVED_ID_SALT, name, algorithm="sha256").digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def owned(objects: list[dict], *, organisation_id: int, identity: str) -> list[dict]:
    """The objects as the importing organisation's own: each non-SCO id becomes one derived
    from the organisation and the old id (keyed for a confined object: `derived_uuid`),
    references follow, and `created_by_ref` names the organisation's identity."""
    renamed = {}
    for obj in objects:
        stix_id, stix_type = obj.get("id"), obj.get("type")
        if isinstance(stix_id, str) and stix_type not in SCO_TYPES and "--" in stix_id:
            # Keyed when confined, whatever the old id was (a MISP observation's id may
            # follow from its value).
            own = derived_uuid(f"{organisation_id}:{stix_id}", tlp_of(obj) or TLP.RED)
            renamed[stix_id] = f"{stix_type}--{own}"
    result = []
    for obj in objects:
        obj = dict(obj)
        if obj.get("id") in renamed:
            obj["id"] = renamed[obj["id"]]
            obj["created_by_ref"] = identity
        for name in REF_PROPERTIES:
            value = obj.get(name)
            if isinstance(value, str) and value in renamed:
                obj[name] = renamed[value]
            elif isinstance(value, list):
                obj[name] = [renamed.get(v, v) if isinstance(v, str) else v for v in value]
        result.append(obj)
    return result


# kind -> (SCO type, pattern path)
PATTERN_PATHS = {
    extract.IPV4: ("ipv4-addr", "value"),
    extract.IPV6: ("ipv6-addr", "value"),
    extract.DOMAIN: ("domain-name", "value"),
    extract.URL: ("url", "value"),
    extract.EMAIL: ("email-addr", "value"),
    extract.MD5: ("file", "hashes.MD5"),
    extract.SHA1: ("file", "hashes.'SHA-1'"),
    extract.SHA256: ("file", "hashes.'SHA-256'"),
}
HASH_NAMES = {extract.MD5: "MD5", extract.SHA1: "SHA-1", extract.SHA256: "SHA-256"}
INDICATOR_KINDS = frozenset(PATTERN_PATHS)


def timestamp(moment: datetime) -> str:
    """STIX timestamps: UTC, milliseconds, Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def quote(value: str) -> str:
    """A STIX pattern string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(kind: str, value: str) -> str:
    sco_type, path = PATTERN_PATHS[kind]
    return f"[{sco_type}:{path} = {quote(value)}]"


def indicator_id(kind: str, value: str, tlp: str = TLP.GREEN) -> str:
    return f"indicator--{derived_uuid(f'{kind}:{value}', tlp)}"


def indicator(kind: str, value: str, *, tlp: str, moment: datetime,
              valid_until: datetime | None = None, labels: tuple[str, ...] = ()) -> dict:
    """One indicator for one value. Only what follows from the value and the marking goes in,
    so the same value gives the same object (created/modified are settled by the service)."""
    stamp = timestamp(moment)
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id(kind, value, tlp),
        "created": stamp,
        "modified": stamp,
        "name": value,
        "indicator_types": ["malicious-activity"],
        "pattern": pattern_for(kind, value),
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": stamp,
        "object_marking_refs": [TLP_MARKING_IDS[TLP(tlp)]],
    }
    if valid_until is not None:
        obj["valid_until"] = timestamp(valid_until)
    if labels:
        obj["labels"] = sorted(set(labels))
    return obj


def vulnerability(cve: str, *, tlp: str, moment: datetime) -> dict:
    stamp = timestamp(moment)
    return {
        "type": "vulnerability",
        "spec_version": "2.1",
        "id": f"vulnerability--{derived_uuid(f'cve:{cve}', tlp)}",
        "created": stamp,
        "modified": stamp,
        "name": cve,
        "external_references": [{"source_name": "cve", "external_id": cve}],
        "object_marking_refs": [TLP_MARKING_IDS[TLP(tlp)]],
    }


def value_object(kind: str, value: str, *, tlp: str, moment: datetime,
                 valid_until: datetime | None = None, labels: tuple[str, ...] = ()) -> dict:
    """The STIX object a found value becomes: an indicator, or for a CVE a vulnerability."""
    if kind == extract.CVE:
        return vulnerability(value, tlp=tlp, moment=moment)
    return indicator(kind, value, tlp=tlp, moment=moment, valid_until=valid_until,
                     labels=labels)


def observable(kind: str, value: str, *, tlp: str) -> dict:
    """An SCO with the specification's deterministic id."""
    sco_type, _path = PATTERN_PATHS[kind]
    if sco_type == "file":
        contributing = {"hashes": {HASH_NAMES[kind]: value}}
    else:
        contributing = {"value": value}
    canonical = json.dumps(contributing, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    # The specification's id for CLEAR and GREEN; a confined value's must not be computable.
    sco_uuid = uuid.uuid5(SCO_NAMESPACE, canonical) if TLP(tlp) in PUBLISHED_IDS else \
        derived_uuid(f"{sco_type}:{canonical}", tlp)
    return {
        "type": sco_type,
        "spec_version": "2.1",
        "id": f"{sco_type}--{sco_uuid}",
        **contributing,
        "object_marking_refs": [TLP_MARKING_IDS[TLP(tlp)]],
    }


def observed_data(refs: list[str], *, object_id: str, tlp: str, first: datetime,
                  last: datetime, count: int = 1) -> dict:
    stamp = timestamp(last)
    return {
        "type": "observed-data",
        "spec_version": "2.1",
        "id": object_id,
        "created": stamp,
        "modified": stamp,
        "first_observed": timestamp(first),
        "last_observed": stamp,
        "number_observed": max(count, 1),
        "object_refs": refs,
        "object_marking_refs": [TLP_MARKING_IDS[TLP(tlp)]],
    }


def kind_of_pattern(pattern: str) -> tuple[str, str] | None:
    """(kind, value) of a simple one-comparison pattern renkei can put on a blocklist;
    None for anything richer (those stay in STIX and MISP exports only)."""
    match = re.fullmatch(
        r"\[\s*([a-z0-9-]+):([A-Za-z0-9_.']+(?:\.'[A-Za-z0-9-]+')?)\s*=\s*'((?:[^'\\]|\\.)*)'\s*\]",
        pattern.strip())
    if not match:
        return None
    sco_type, path, literal = match.groups()
    value = literal.replace("\\'", "'").replace("\\\\", "\\")
    for kind, (known_type, known_path) in PATTERN_PATHS.items():
        if sco_type == known_type and _plain_path(path) == _plain_path(known_path):
            return kind, value
    return None


def _plain_path(path: str) -> str:
    """`hashes.'SHA-256'`, `hashes.SHA256` and `hashes.sha-256` name the same property."""
    return path.replace("'", "").replace("-", "").lower()

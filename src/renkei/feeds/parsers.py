"""Feeds in: bytes of a STIX bundle, MISP event, MISP feed, CSV or plain list → STIX 2.1 objects.

Pure: no database. Each parser returns a `Parsed` — the objects to hand to the store, the
items that could not be read (with a message in the reader's language), and counts. What is
wrong with one item never stops the others; what is wrong with the whole input (not JSON, not
a bundle, a CSV header naming no type) raises `ServiceError` and nothing is imported.

The TLP of what is imported is never lower than the importer chose (`tlp`): a marking or MISP
tag can make an item stricter, not looser. In MISP, the event, each object and each attribute
has its own distribution and tags; each level says its TLP (`misp_level_tlp`) and the
strictest of the importer's choice, the event, the object and the attribute wins:

    distribution               no TLP tag at this level   a TLP tag at this level
    0 your organisation only   AMBER+STRICT               the tag, never below AMBER+STRICT
    1 this community only      AMBER                      the tag
    2 connected communities    (nothing: the importer's)  the tag
    3 all communities          (nothing: the importer's)  the tag
    4 a sharing group          AMBER                      the tag
    5 inherit / absent         (the level above)          the tag

An explicit TLP tag is the originator's statement and beats a distribution's default (MISP
marks everything with a distribution, most often without thinking of TLP). "Your organisation
only" is not a default but MISP's hard boundary, so no tag lowers it. Distributions 2 and 3 say
how MISP instances synchronise, not how far the information may be told, so they leave the
importer's choice.
"""

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext as _

from renkei.errors import ServiceError
from renkei.feeds import extract, stix
from renkei.sharing.models import TLP, stricter

STIX, MISP_EVENT, MISP_FEED, CSV, LIST = "stix", "misp-event", "misp-feed", "csv", "list"
FORMATS = (STIX, MISP_EVENT, MISP_FEED, CSV, LIST)
# A clock a few minutes fast at the producer is not "the future".
CLOCK_SKEW = timedelta(minutes=5)
MAX_FAILURES_KEPT = 1000

# The TLP a MISP distribution means when its level carries no TLP tag (see the table above).
MISP_DISTRIBUTION_TLP = {"0": TLP.AMBER_STRICT, "1": TLP.AMBER, "4": TLP.AMBER}
MISP_ORGANISATION_ONLY = "0"
# MISP attribute types → the kind of value renkei knows (composite types keep their value part).
MISP_TYPES = {
    "ip-dst": None, "ip-src": None, "ip": None,  # IPv4 or IPv6, decided by the value
    "ip-dst|port": None, "ip-src|port": None,
    "domain": extract.DOMAIN, "hostname": extract.DOMAIN, "domain|ip": extract.DOMAIN,
    "hostname|port": extract.DOMAIN,
    "url": extract.URL, "uri": extract.URL,
    "md5": extract.MD5, "sha1": extract.SHA1, "sha256": extract.SHA256,
    "filename|md5": extract.MD5, "filename|sha1": extract.SHA1, "filename|sha256": extract.SHA256,
    "email": extract.EMAIL, "email-src": extract.EMAIL, "email-dst": extract.EMAIL,
    "vulnerability": extract.CVE,
}
MISP_GALAXIES = {
    "threat-actor": "threat-actor", "mitre-attack-pattern": "attack-pattern",
    "mitre-enterprise-attack-attack-pattern": "attack-pattern",
    "mitre-malware": "malware", "malpedia": "malware", "mitre-tool": "tool",
    "mitre-intrusion-set": "intrusion-set",
}
# CSV header names → kind ("hash" and "ip" are decided by the value).
CSV_COLUMNS = {
    "ip": None, "ipv4": extract.IPV4, "ipv6": extract.IPV6, "ip-dst": None, "ip-src": None,
    "domain": extract.DOMAIN, "hostname": extract.DOMAIN, "fqdn": extract.DOMAIN,
    "url": extract.URL, "uri": extract.URL,
    "md5": extract.MD5, "sha1": extract.SHA1, "sha-1": extract.SHA1,
    "sha256": extract.SHA256, "sha-256": extract.SHA256, "hash": None,
    "email": extract.EMAIL, "e-mail": extract.EMAIL, "cve": extract.CVE,
}
NETWORK_KINDS = {extract.IPV4, extract.IPV6}
HASH_KINDS = {extract.MD5, extract.SHA1, extract.SHA256}


@dataclass
class Failure:
    ref: str
    message: str

    def as_dict(self) -> dict:
        return {"ref": self.ref, "message": self.message}


@dataclass
class Parsed:
    format: str
    objects: list[dict] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    received: int = 0
    # The same object twice in one input: the later copies count as duplicates.
    duplicates: int = 0
    # Items with nothing to import (MISP comments, links, free text), counted, not failures.
    skipped: int = 0
    _ids: dict[str, str] = field(default_factory=dict)

    def add(self, obj: dict) -> None:
        canonical = json.dumps(obj, sort_keys=True)
        seen = self._ids.get(obj["id"])
        if seen is None:
            self._ids[obj["id"]] = canonical
            self.objects.append(obj)
        elif seen == canonical or (obj["type"] == "indicator" and self.format != STIX):
            # A value met twice (two MISP events naming the same domain) is one indicator;
            # in a STIX bundle, two contents under one id are the sender's mistake.
            self.duplicates += 1
        else:
            self.fail(obj["id"], _("The same id appears twice with different content."))

    def fail(self, ref: str, message: str) -> None:
        self.failures.append(Failure(str(ref), message))


def load_json(data: bytes) -> object:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ServiceError(_("The file is not valid JSON: %(problem)s")
                           % {"problem": _short(exc)}) from exc


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else exc.__class__.__name__


def detect_format(data: bytes, filename: str = "") -> str:
    """Guess the format of one uploaded file from its content (and name, for CSV)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return STIX  # let the STIX parser say what is wrong with the JSON
        if _misp_events(document) is not None:
            return MISP_EVENT
        if isinstance(document, dict) and document and all(
                _is_uuid(key) and isinstance(value, dict) for key, value in document.items()):
            return MISP_FEED
        return STIX
    if filename.lower().endswith(".csv"):
        return CSV
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    if "," in first and any(name in first.replace(" ", "").split(",") for name in
                            ("type", "value", *CSV_COLUMNS)):
        return CSV
    return LIST


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# --- STIX ------------------------------------------------------------------------------------

def parse_stix(data: bytes) -> Parsed:
    """A bundle, a TAXII envelope or a list of objects. Objects are handed on as written; the
    store validates each (spec_version, patterns, custom properties, timestamps)."""
    document = load_json(data)
    if isinstance(document, dict) and document.get("type") == "bundle":
        objects = document.get("objects", [])
    elif isinstance(document, dict) and "objects" in document and "type" not in document:
        objects = document["objects"]
    elif isinstance(document, list):
        objects = document
    elif isinstance(document, dict) and "type" in document and "id" in document:
        objects = [document]
    else:
        raise ServiceError(_("This is not a STIX 2.1 bundle: a JSON object with "
                             "\"type\": \"bundle\" and a list of \"objects\" is expected."))
    if not isinstance(objects, list):
        raise ServiceError(_("The bundle's \"objects\" must be a list."))
    parsed = Parsed(STIX, received=len(objects))
    for position, obj in enumerate(objects, start=1):
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) \
                or not isinstance(obj.get("type"), str):
            parsed.fail(f"#{position}", _("Each object needs a \"type\" and an \"id\"."))
            continue
        parsed.add(obj)
    return parsed


# --- MISP ------------------------------------------------------------------------------------

def _misp_events(document: object) -> list[dict] | None:
    """The events in what MISP writes: {"Event": …}, {"response": [{"Event": …}]}, or a list."""
    if isinstance(document, dict) and isinstance(document.get("Event"), dict):
        return [document["Event"]]
    if isinstance(document, dict) and isinstance(document.get("response"), list):
        document = document["response"]
    if isinstance(document, list) and document and all(
            isinstance(item, dict) and isinstance(item.get("Event"), dict) for item in document):
        return [item["Event"] for item in document]
    return None


def parse_misp_event(data: bytes, *, tlp: str, now: datetime,
                     valid_until: datetime | None = None) -> Parsed:
    events = _misp_events(load_json(data))
    if events is None:
        raise ServiceError(_("This is not a MISP event: a JSON object with an \"Event\" is "
                             "expected."))
    parsed = Parsed(MISP_EVENT)
    for event in events:
        add_misp_event(parsed, event, tlp=tlp, now=now, valid_until=valid_until)
    return parsed


def _tag_tlp(tags: object) -> str | None:
    levels = []
    for tag in tags if isinstance(tags, list) else []:
        name = str(tag.get("name", "") if isinstance(tag, dict) else tag).strip().lower()
        if name.startswith("tlp:"):
            try:
                levels.append(TLP.parse(name))
            except ValueError:
                continue
    return stricter(*levels) if levels else None


def misp_level_tlp(level: dict) -> str | None:
    """What one MISP level (event, object or attribute) says of its TLP by its own tags and
    distribution; None when it says nothing (inherit, 2, 3, absent, without a tag)."""
    tag = _tag_tlp(level.get("Tag"))
    distribution = str(level.get("distribution", "")).strip()
    if tag is None:
        return MISP_DISTRIBUTION_TLP.get(distribution)
    if distribution == MISP_ORGANISATION_ONLY:
        return stricter(tag, TLP.AMBER_STRICT)
    return tag


def misp_tlp(parent_tlp: str, level: dict) -> str:
    """The strictest of what the level above decided and what this level says."""
    own = misp_level_tlp(level)
    return stricter(parent_tlp, own) if own else parent_tlp


def _misp_time(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def add_misp_event(parsed: Parsed, event: dict, *, tlp: str, now: datetime,
                   valid_until: datetime | None = None) -> None:
    """One MISP event: its attributes (and those inside its objects) as indicators when marked
    for IDS, as observed data when not; its galaxy clusters as SDOs; the event as a report
    referring to all of them."""
    event_id = str(event.get("uuid", ""))
    if not _is_uuid(event_id):
        parsed.received += 1
        parsed.fail(event_id or "?", _("The MISP event has no valid uuid."))
        return
    event_time = _misp_time(event.get("timestamp")) or now
    if event_time > now + CLOCK_SKEW:
        parsed.received += 1
        parsed.fail(event_id, _("The event's timestamp lies in the future."))
        return
    event_tlp = misp_tlp(tlp, event)
    # (attribute, the TLP of what it sits in: the event, or the event and its object)
    attributes = [(a, event_tlp) for a in event.get("Attribute") or [] if isinstance(a, dict)]
    for misp_object in event.get("Object") or []:
        if isinstance(misp_object, dict) and misp_object.get("deleted") not in (True, "1", 1):
            object_tlp = misp_tlp(event_tlp, misp_object)
            attributes += [(a, object_tlp) for a in misp_object.get("Attribute") or []
                           if isinstance(a, dict)]
    refs: list[str] = []
    for attribute, parent_tlp in attributes:
        if attribute.get("deleted") in (True, "1", 1):
            continue
        parsed.received += 1
        made = _misp_attribute(parsed, attribute, event_tlp=parent_tlp, event_time=event_time,
                               now=now, valid_until=valid_until)
        refs += made
    for galaxy in event.get("Galaxy") or []:
        stix_type = MISP_GALAXIES.get(str(galaxy.get("type", ""))) if isinstance(
            galaxy, dict) else None
        for cluster in (galaxy.get("GalaxyCluster") or []) if stix_type else []:
            name = str(cluster.get("value", "")).strip()
            if not name:
                continue
            parsed.received += 1
            obj = _galaxy_object(stix_type, name, str(cluster.get("description", "")),
                                 tlp=event_tlp, moment=event_time)
            parsed.add(obj)
            refs.append(obj["id"])
    if refs:
        stamp = stix.timestamp(event_time)
        published = _misp_time(event.get("publish_timestamp")) or event_time
        if published.timestamp() == 0:
            published = event_time
        report = {
            "type": "report", "spec_version": "2.1", "id": f"report--{event_id}",
            "created": stamp, "modified": stamp,
            "name": str(event.get("info") or event_id)[:500],
            "report_types": ["threat-report"],
            "published": stix.timestamp(published),
            "object_refs": list(dict.fromkeys(refs)),
            "labels": sorted({str(t.get("name")) for t in event.get("Tag") or []
                              if isinstance(t, dict) and t.get("name")
                              and not str(t.get("name")).lower().startswith("tlp:")}) or None,
            "external_references": [{"source_name": "misp", "external_id": event_id}],
            "object_marking_refs": [stix.TLP_MARKING_IDS[TLP(event_tlp)]],
        }
        if report["labels"] is None:
            del report["labels"]
        parsed.add(report)


def _misp_attribute(parsed: Parsed, attribute: dict, *, event_tlp: str,
                    event_time: datetime, now: datetime,
                    valid_until: datetime | None) -> list[str]:
    ref = str(attribute.get("uuid") or attribute.get("value") or "?")
    misp_type = str(attribute.get("type", ""))
    raw = str(attribute.get("value", ""))
    if misp_type in {"filename|md5", "filename|sha1", "filename|sha256"}:
        raw = raw.split("|", 1)[-1]
    elif misp_type in {"ip-dst|port", "ip-src|port", "domain|ip", "hostname|port"}:
        raw = raw.split("|", 1)[0]
    if misp_type not in MISP_TYPES:
        parsed.skipped += 1
        return []
    wanted = MISP_TYPES[misp_type]
    found = extract.classify(raw)
    if found is None or (wanted is not None and found.kind != wanted) or (
            wanted is None and found.kind not in NETWORK_KINDS):
        parsed.fail(ref, _("The value “%(value)s” is not a valid %(type)s.")
                    % {"value": raw[:200], "type": misp_type})
        return []
    moment = _misp_time(attribute.get("timestamp")) or event_time
    if moment > now + CLOCK_SKEW:
        parsed.fail(ref, _("The attribute's timestamp lies in the future."))
        return []
    level = misp_tlp(event_tlp, attribute)
    if found.kind == extract.CVE or attribute.get("to_ids") in (True, "1", 1, "true"):
        until = valid_until if valid_until is None or valid_until > moment else None
        obj = stix.value_object(found.kind, found.value, tlp=level, moment=moment,
                                valid_until=until)
        parsed.add(obj)
        return [obj["id"]]
    sco = stix.observable(found.kind, found.value, tlp=level)
    observed_id = f"observed-data--{uuid.uuid5(stix.RENKEI_NAMESPACE, 'misp:' + ref)}"
    observed = stix.observed_data([sco["id"]], object_id=observed_id, tlp=level,
                                  first=moment, last=moment)
    parsed.add(sco)
    parsed.add(observed)
    return [observed_id, sco["id"]]


def _galaxy_object(stix_type: str, name: str, description: str, *, tlp: str,
                   moment: datetime) -> dict:
    """Cluster ids are not trusted (ESET's event gives two attack patterns one uuid): the id
    follows from the type and the name, so the same cluster from two events is one object."""
    stamp = stix.timestamp(moment)
    obj = {
        "type": stix_type, "spec_version": "2.1",
        "id": f"{stix_type}--{uuid.uuid5(stix.RENKEI_NAMESPACE, f'{stix_type}:{name}')}",
        "created": stamp, "modified": stamp, "name": name[:500],
        "object_marking_refs": [stix.TLP_MARKING_IDS[TLP(tlp)]],
    }
    if description:
        obj["description"] = description[:5000]
    if stix_type == "malware":
        obj["is_family"] = True
    return obj


def parse_misp_feed(manifest_data: bytes, load_event: Callable[[str], bytes | None], *,
                    tlp: str, now: datetime, valid_until: datetime | None = None) -> Parsed:
    """A MISP feed: `manifest.json` maps event uuids to summaries; each event is read with
    `load_event(uuid)` (a file of the upload, or `<base>/<uuid>.json` fetched). An event the
    manifest lists but that cannot be had is a failure; the others are imported."""
    manifest = load_json(manifest_data)
    if not isinstance(manifest, dict) or not all(_is_uuid(key) for key in manifest):
        raise ServiceError(_("manifest.json is not a MISP feed manifest: a JSON object whose "
                             "keys are event uuids is expected."))
    parsed = Parsed(MISP_FEED)
    for event_id in manifest:
        try:
            data = load_event(event_id)
        except ServiceError as exc:
            parsed.received += 1
            parsed.fail(event_id, " ".join(exc.messages))
            continue
        if data is None:
            parsed.received += 1
            parsed.fail(event_id, _("The manifest lists event %(uuid)s, but the feed does not "
                                    "have it.") % {"uuid": event_id})
            continue
        try:
            events = _misp_events(load_json(data))
        except ServiceError as exc:
            parsed.received += 1
            parsed.fail(event_id, " ".join(exc.messages))
            continue
        if not events:
            parsed.received += 1
            parsed.fail(event_id, _("%(uuid)s.json is not a MISP event.") % {"uuid": event_id})
            continue
        for event in events:
            add_misp_event(parsed, event, tlp=tlp, now=now, valid_until=valid_until)
    return parsed


# --- CSV and plain lists ---------------------------------------------------------------------

def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ServiceError(_("The file is not UTF-8 text.")) from exc


def _value(parsed: Parsed, ref: str, kind: str | None, raw: str, *, tlp: str, moment: datetime,
           valid_until: datetime | None, hint: str) -> None:
    found = extract.classify(raw)
    ok = found is not None and (
        found.kind == kind if kind else (
            found.kind in NETWORK_KINDS if hint in {"ip", "ip-dst", "ip-src"} else
            found.kind in HASH_KINDS if hint == "hash" else True))
    if not ok or found.kind not in stix.INDICATOR_KINDS | {extract.CVE}:
        parsed.fail(ref, _("“%(value)s” is not a valid %(type)s.")
                    % {"value": raw[:200], "type": hint})
        return
    parsed.add(stix.value_object(found.kind, found.value, tlp=tlp, moment=moment,
                                 valid_until=valid_until))


def parse_list(data: bytes, *, tlp: str, now: datetime,
               valid_until: datetime | None = None) -> Parsed:
    """One value a line; blank lines and lines starting with # or ; are comments."""
    parsed = Parsed(LIST)
    for number, line in enumerate(_text(data).splitlines(), start=1):
        value = line.strip()
        if not value or value.startswith(("#", ";", "//")):
            continue
        parsed.received += 1
        found = extract.classify(value)
        if found is None:
            parsed.fail(_("line %(n)d") % {"n": number},
                        _("“%(value)s” is not an IP address, domain, URL, e-mail address, "
                          "hash or CVE id.") % {"value": value[:200]})
            continue
        parsed.add(stix.value_object(found.kind, found.value, tlp=tlp, moment=now,
                                     valid_until=valid_until))
    return parsed


def parse_csv(data: bytes, *, tlp: str, now: datetime,
              valid_until: datetime | None = None) -> Parsed:
    """A header row names the columns: either `type` and `value` (a type per row), or one
    column per kind (`ip`, `domain`, `url`, `md5`, `sha256`, `hash`, …). Other columns are
    ignored; a `valid_until` column (ISO date or time) sets the validity per row."""
    text = _text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    header = next(rows, None)
    if not header:
        raise ServiceError(_("The CSV file is empty."))
    names = [cell.strip().lower() for cell in header]
    type_column = names.index("type") if "type" in names else None
    value_column = names.index("value") if "value" in names else None
    kind_columns = [(i, name) for i, name in enumerate(names) if name in CSV_COLUMNS]
    until_column = names.index("valid_until") if "valid_until" in names else None
    if (type_column is None or value_column is None) and not kind_columns:
        raise ServiceError(_(
            "The CSV header names no known column. Use “type” and “value”, or columns named "
            "%(names)s.") % {"names": ", ".join(sorted(CSV_COLUMNS))})
    parsed = Parsed(CSV)
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        ref = _("line %(n)d") % {"n": number}
        until = valid_until
        if until_column is not None and until_column < len(row) and row[until_column].strip():
            until = _parse_until(row[until_column])
            if until is None:
                parsed.received += 1
                parsed.fail(ref, _("“%(value)s” is not a date.") % {"value": row[until_column]})
                continue
        if type_column is not None and value_column is not None:
            parsed.received += 1
            declared = row[type_column].strip().lower() if type_column < len(row) else ""
            raw = row[value_column] if value_column < len(row) else ""
            if declared not in CSV_COLUMNS:
                parsed.fail(ref, _("Unknown type “%(type)s”. Known types: %(names)s.")
                            % {"type": declared[:50], "names": ", ".join(sorted(CSV_COLUMNS))})
                continue
            _value(parsed, ref, CSV_COLUMNS[declared], raw, tlp=tlp, moment=now,
                   valid_until=until, hint=declared)
            continue
        for column, name in kind_columns:
            if column < len(row) and row[column].strip():
                parsed.received += 1
                _value(parsed, ref, CSV_COLUMNS[name], row[column], tlp=tlp, moment=now,
                       valid_until=until, hint=name)
    return parsed


def _parse_until(raw: str) -> datetime | None:
    raw = raw.strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse(fmt: str, data: bytes, *, tlp: str, now: datetime,
          valid_until: datetime | None = None) -> Parsed:
    """One file of a format other than a MISP feed (which needs its events; see
    `parse_misp_feed`)."""
    if fmt == STIX:
        return parse_stix(data)
    if fmt == MISP_EVENT:
        return parse_misp_event(data, tlp=tlp, now=now, valid_until=valid_until)
    if fmt == CSV:
        return parse_csv(data, tlp=tlp, now=now, valid_until=valid_until)
    if fmt == LIST:
        return parse_list(data, tlp=tlp, now=now, valid_until=valid_until)
    raise ServiceError(_("Unknown format “%(format)s”.") % {"format": fmt})


def merge(parts: Iterable[Parsed], fmt: str) -> Parsed:
    merged = Parsed(fmt)
    for part in parts:
        merged.received += part.received
        merged.duplicates += part.duplicates
        merged.skipped += part.skipped
        merged.failures += part.failures
        for obj in part.objects:
            merged.add(obj)
    return merged

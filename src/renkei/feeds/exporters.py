"""Feeds out: a collection as a STIX 2.1 bundle, a MISP feed, plain blocklists and CSV.

What a file holds: the current version (`is_latest`) of the objects in the collection that
`intel.selectors.collection_objects` gives the reader — the visibility rule, never anything
else. Then TLP decides what may leave the platform, as for topic exports
(`communities/export.py`): TLP:RED and TLP:AMBER+STRICT are left out unless the reader asks for
them with `confined=1` (every reader of an object is in its audience, so only they can ask);
a file with them opens with a warning where the format has room for one (CSV, lists), and the
request is in the audit log with `confined: true`. Curated collections never hold them at all.

Blocklists and the MISP feed's IDS flag also respect validity: revoked indicators, and those
whose `valid_until` has passed or whose `valid_from` lies ahead, are not on any blocklist; in
the MISP feed they stay as attributes with `to_ids: false` (what MISP does with expired ones).
Only indicators whose pattern is one simple comparison (`[ipv4-addr:value = '…']`, file hashes,
domains, URLs, e-mail addresses) have a value to list; richer patterns travel in STIX and MISP
(as `stix2-pattern` attributes) only.
"""

import csv
import io
import itertools
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Max, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from renkei.accounts import audit
from renkei.communities.export import neutralise
from renkei.feeds import extract, stix
from renkei.intel import curation, outgoing, selectors
from renkei.intel.models import Collection
from renkei.sharing.models import CONFINED_TLP, TLP
from renkei.sharing.passing import Kind, passable_tlps

CHUNK_SIZE = 2000
BLOCKLISTS = {
    "ip": (extract.IPV4, extract.IPV6),
    "domain": (extract.DOMAIN,),
    "url": (extract.URL,),
    "hash": (extract.MD5, extract.SHA1, extract.SHA256),
}
# Where in a pattern each list's values are; a cheap first filter before parsing patterns.
BLOCKLIST_PATTERN_STARTS = {
    "ip": ("[ipv4-addr:value", "[ipv6-addr:value"),
    "domain": ("[domain-name:value",),
    "url": ("[url:value",),
    "hash": ("[file:hashes",),
}
MISP_TYPES = {
    extract.IPV4: "ip-dst", extract.IPV6: "ip-dst", extract.DOMAIN: "domain",
    extract.URL: "url", extract.MD5: "md5", extract.SHA1: "sha1", extract.SHA256: "sha256",
    extract.EMAIL: "email-src",
}
MISP_CATEGORY = {
    "ip-dst": "Network activity", "domain": "Network activity", "url": "Network activity",
    "md5": "Payload delivery", "sha1": "Payload delivery", "sha256": "Payload delivery",
    "email-src": "Payload delivery", "stix2-pattern": "Network activity",
}
MISP_DISTRIBUTION = {TLP.CLEAR: "3", TLP.GREEN: "3", TLP.AMBER: "1",
                     TLP.AMBER_STRICT: "0", TLP.RED: "0"}
MISP_TAG = {TLP.CLEAR: "tlp:clear", TLP.GREEN: "tlp:green", TLP.AMBER: "tlp:amber",
            TLP.AMBER_STRICT: "tlp:amber+strict", TLP.RED: "tlp:red"}
RENKEI_ORGANISATION = {"name": "renkei", "uuid": str(uuid.uuid5(stix.RENKEI_NAMESPACE, "orgc"))}
CSV_HEADER = ("type", "value", "tlp", "valid_from", "valid_until", "stix_id", "name",
              "community", "date_added")


@dataclass(frozen=True)
class ExportRequest:
    collection: Collection
    format: str
    confined: bool
    # A file one person downloads (signed in), or a feed a machine polls (an API token).
    kind: Kind = Kind.FEED


def parse_confined(params) -> bool:
    """`confined=1` asks for TLP:RED and TLP:AMBER+STRICT; anything but 0/1/absent is refused."""
    from renkei.errors import ServiceError

    raw = params.getlist("confined") if hasattr(params, "getlist") else [params.get("confined")]
    raw = [value for value in raw if value is not None]
    if len(raw) > 1 or (raw and raw[0] not in {"", "0", "1"}):
        raise ServiceError(_(
            "The value of confined must be 1 (include TLP:RED and TLP:AMBER+STRICT) or 0."))
    return raw == ["1"]


def current_objects(user, request: ExportRequest) -> QuerySet:
    """The latest readable version of each object in the collection that may leave: what the
    pass-on rule lets go to this kind of destination (a machine never gets RED), and without
    `confined` neither RED nor AMBER+STRICT."""
    objects = selectors.collection_objects(user, request.collection).filter(
        is_latest=True, tlp__in=passable_tlps(request.kind))
    if not request.confined:
        objects = objects.exclude(tlp__in=CONFINED_TLP)
    return objects


def valid_indicators(objects: QuerySet, now: datetime | None = None) -> QuerySet:
    return objects.filter(selectors.valid_now(now), type="indicator")


# --- audit -----------------------------------------------------------------------------------

class Counter:
    """`feeds.export` before the first byte, `feeds.export.done` with the count after the last
    (append-only log; see communities/export.py for why the count comes at the end)."""

    def __init__(self, user, request: ExportRequest, ip_address: str | None, **detail):
        self.user, self.request, self.ip_address, self.rows, self.closed = (
            user, request, ip_address, 0, False)
        # Written with the count at the end (e.g. how many values a blocklist refused).
        self.done_detail: dict = {}
        self.entry = audit.record(
            user, "feeds.export", request.collection, ip_address=ip_address,
            format=request.format, collection=str(request.collection.uuid),
            confined=request.confined, **detail)

    def count(self, items: Iterable) -> Iterator:
        finished = False
        try:
            for item in items:
                self.rows += 1
                yield item
            finished = True
        finally:
            self.close(finished=finished)

    def close(self, *, finished: bool) -> None:
        if self.closed:
            return
        self.closed = True
        audit.record(self.user, "feeds.export.done", self.request.collection,
                     ip_address=self.ip_address, export=self.entry.pk,
                     format=self.request.format, rows=self.rows, finished=finished,
                     **self.done_detail)


# --- STIX ------------------------------------------------------------------------------------

def stix_bundle(user, objects: QuerySet, counter: Counter) -> Iterator[bytes]:
    """A bundle streamed from the stored JSON text as it leaves (`intel.outgoing`: each object
    with its TLP marking, containers naming only what leaves as widely), then the marking
    definitions and organisation identities the objects name."""
    yield ('{"type":"bundle","id":"bundle--' + str(uuid.uuid4()) + '","objects":[').encode()
    first = True
    rows = objects.order_by("date_added").values_list(
        "stix_id", *outgoing.FIELDS, named=True).iterator(chunk_size=CHUNK_SIZE)
    present: set[str] = set()
    named: set[str] = set()
    batch = []
    for row in itertools.chain(counter.count(rows), [None]):
        if row is not None:
            batch.append(row)
            if len(batch) < CHUNK_SIZE:
                continue
        texts = outgoing.raws(user, batch)
        present.update(r.stix_id for r in batch)
        named.update(outgoing.references_in(texts))
        for raw in texts:
            yield (raw if first else "," + raw).encode()
            first = False
        batch = []
    for definition in outgoing.definitions(named, present):
        raw = dumps(definition).decode()
        yield (raw if first else "," + raw).encode()
        first = False
    yield b"]}"


# --- blocklists and CSV ----------------------------------------------------------------------

def blocklist_objects(user, request: ExportRequest) -> QuerySet:
    """What a blocklist is built from: as `current_objects`, but a curated collection's vetted
    objects before harmful values are left out, so `blocklist_values` counts each refusal."""
    objects = selectors.collection_objects(user, request.collection, screened=False).filter(
        is_latest=True)
    if not request.confined:
        objects = objects.exclude(tlp__in=CONFINED_TLP)
    return objects


def blocklist_values(objects: QuerySet, name: str, now: datetime | None = None, *,
                     refusals: curation.Refusals | None = None) -> Iterator[str]:
    """Each value once, in the order it was added: only from vetted sources (a plain list is
    applied blindly and carries no provenance; `intel.curation`), never a value that would
    hurt everyone (each one refused is added to `refusals` with its reason)."""
    kinds = BLOCKLISTS[name]
    starts = BLOCKLIST_PATTERN_STARTS[name]
    rows = valid_indicators(objects, now).filter(curation.vetted(), pattern_type="stix").order_by(
        "date_added").values_list("pattern", flat=True)
    protected = curation.protected_values()
    seen: set[str] = set()
    for pattern in rows.iterator(chunk_size=CHUNK_SIZE):
        if not pattern.startswith(starts):
            continue
        found = stix.kind_of_pattern(pattern)
        if found is None or found[0] not in kinds or found[1] in seen:
            continue
        seen.add(found[1])
        reason = curation.value_refusal(stix.PATTERN_PATHS[found[0]][0], found[1], protected)
        if reason:
            if refusals is not None:
                refusals.add(found[1], reason)
            continue
        yield found[1]


def blocklist_lines(values: Iterable[str], *, confined: bool, counter: Counter,
                    refusals: curation.Refusals | None = None) -> Iterator[bytes]:
    if confined:
        yield ("# " + _("Includes TLP:RED / TLP:AMBER+STRICT — do not share beyond the "
                        "recipients") + "\n").encode()
    def noting_refusals(values: Iterable[str]) -> Iterator[str]:
        yield from values
        if refusals:
            counter.done_detail["refused"] = len(refusals)

    batch = []
    for value in counter.count(noting_refusals(values)):
        # A value with a line break would become two entries on a firewall; none is listed.
        if "\n" in value or "\r" in value:
            continue
        batch.append(value)
        if len(batch) >= 500:
            yield ("\n".join(batch) + "\n").encode()
            batch = []
    if batch:
        yield ("\n".join(batch) + "\n").encode()
    if refusals:
        # At the end, once counted; a comment line, as the confined warning above.
        summary = refusals.summary(limit=100)
        yield ("# " + summary.replace("\n", " ").replace("\r", " ") + "\n").encode()
        refusals.log(f"blocklist {counter.request.format} of {counter.request.collection.uuid}")


def csv_rows(objects: QuerySet) -> Iterator[tuple]:
    """One row per indicator with a simple pattern (valid or not: the CSV shows validity)."""
    rows = objects.filter(type="indicator", pattern_type="stix").order_by("date_added").values_list(
        "pattern", "tlp", "valid_from", "valid_until", "stix_id", "name", "community__name",
        "date_added", "revoked")
    for pattern, tlp, valid_from, valid_until, stix_id, name, community, added, revoked in \
            rows.iterator(chunk_size=CHUNK_SIZE):
        found = stix.kind_of_pattern(pattern)
        if found is None or revoked:
            continue
        yield (found[0], found[1], TLP(tlp).label, _iso(valid_from), _iso(valid_until),
               stix_id, name, community, _iso(added))


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def csv_pieces(rows: Iterable[tuple], *, confined: bool, counter: Counter) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if confined:
        writer.writerow([_("Includes TLP:RED / TLP:AMBER+STRICT — do not share beyond the "
                           "recipients")])
    writer.writerow(CSV_HEADER)
    yield "\ufeff".encode() + _drain(buffer)
    pending = 0
    for row in counter.count(rows):
        writer.writerow([neutralise(cell) for cell in row])
        pending += 1
        if pending >= 500:
            yield _drain(buffer)
            pending = 0
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


# --- MISP feed -------------------------------------------------------------------------------
# One event per UTC day of date_added and TLP level, so an event's TLP tag is exact and a
# consumer that fetches the manifest again only downloads the days that changed.

def _event_uuid(collection: Collection, day, tlp: str) -> str:
    return str(uuid.uuid5(stix.RENKEI_NAMESPACE, f"misp:{collection.uuid}:{day}:{tlp}"))


def _epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def misp_events(objects: QuerySet, collection: Collection) -> dict[str, dict]:
    """event uuid -> (day, tlp, count, newest version) for every day and TLP with indicators."""
    groups = (objects.filter(type="indicator")
              .annotate(day=TruncDate("date_added", tzinfo=UTC))
              .values("day", "tlp").annotate(n=Count("id"), newest=Max("date_added"))
              .order_by("day", "tlp"))
    return {_event_uuid(collection, g["day"], g["tlp"]): g for g in groups}


def misp_manifest(events: dict[str, dict]) -> dict:
    return {event_id: {
        "info": f"renkei indicators {g['day']:%Y-%m-%d} {TLP(g['tlp']).label}",
        "date": f"{g['day']:%Y-%m-%d}",
        "timestamp": _epoch(g["newest"]),
        "threat_level_id": "4", "analysis": "2",
        "distribution": MISP_DISTRIBUTION[TLP(g["tlp"])],
        "Orgc": RENKEI_ORGANISATION,
        "Tag": [{"name": MISP_TAG[TLP(g["tlp"])]}],
    } for event_id, g in events.items()}


def misp_event(objects: QuerySet, event_id: str, group: dict, now: datetime | None = None
               ) -> dict:
    now = now or timezone.now()
    start = datetime.combine(group["day"], datetime.min.time(), tzinfo=UTC)
    rows = objects.filter(type="indicator", tlp=group["tlp"], date_added__gte=start,
                          date_added__lt=start + timedelta(days=1)).order_by("date_added")
    valid = set(valid_indicators(rows, now).values_list("pk", flat=True))
    attributes = []
    for pk, stix_id, pattern, pattern_type, version in rows.values_list(
            "pk", "stix_id", "pattern", "pattern_type", "version").iterator(
            chunk_size=CHUNK_SIZE):
        attribute = misp_attribute(stix_id, pattern, pattern_type, version, pk in valid)
        if attribute is not None:
            attributes.append(attribute)
    manifest = misp_manifest({event_id: group})[event_id]
    return {"Event": {"uuid": event_id, **manifest, "published": True,
                      "Attribute": attributes}}


def misp_attribute(stix_id: str, pattern: str, pattern_type: str, version: datetime,
                   valid: bool) -> dict | None:
    found = stix.kind_of_pattern(pattern) if pattern_type == "stix" else None
    if found is not None and found[0] in MISP_TYPES:
        misp_type, value = MISP_TYPES[found[0]], found[1]
    elif pattern_type == "stix":
        misp_type, value = "stix2-pattern", pattern
    else:
        return None
    return {
        "uuid": str(uuid.uuid5(stix.RENKEI_NAMESPACE, f"misp-attribute:{stix_id}")),
        "type": misp_type, "category": MISP_CATEGORY[misp_type], "to_ids": valid,
        "value": value, "timestamp": _epoch(version), "distribution": "5",
        "comment": stix_id,
    }


def misp_hashes(objects: QuerySet, events: dict[str, dict]) -> Iterator[str]:
    """hashes.csv: md5 of each attribute value, event uuid (MISP's feed cache lookup)."""
    import hashlib

    for event_id, group in events.items():
        event = misp_event(objects, event_id, group)
        for attribute in event["Event"]["Attribute"]:
            yield f"{hashlib.md5(attribute['value'].encode()).hexdigest()},{event_id}\n"


def dumps(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()

"""Topic lists as files: CSV (streamed) and XLSX (built in a temporary file).

What a file holds: the rows of `search.search_topics(user, query)` — the list or search the
reader is looking at, so only topics `readable_topics` gives them — read in chunks from the
database, never all at once.

The pass-on rule (`sharing.passing`, kind EXPORT) lets a file the reader downloads hold
everything they read. TLP:RED and TLP:AMBER+STRICT rows are still left out unless the reader
asks for them (`confined=1`).
Who may ask: every reader (`may_export_confined`). These rows already reach only their named
recipients or audience and the file holds nothing its reader could not read on screen; what
changes is that a copy leaves the screen. So the file then opens with a notice that it must not
be passed on, and the export is in the audit log with `confined: true`. Narrowing this later
(say, to readers with two-factor authentication) means changing `may_export_confined` only.

Audit (the log is append-only, so nothing is updated): `topics.export` is written before the
first byte leaves, with the format, the query parameters and whether confined rows were asked
for — an export the connection drops is still on record. `topics.export.done` follows when the
last row is written (or the download stops), with the number of rows and whether it finished.
A `.count()` up front would cost a second run of the search and could still differ from what was
sent; counting while writing is exact.

Cells that a spreadsheet would run as a formula (= + - @, tab, CR) get a leading apostrophe.
"""

import csv
import io
import tempfile
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from renkei.accounts import audit
from renkei.communities.models import InformationKind, TopicTag
from renkei.communities.search import TopicQuery, parse_topic_query, search_topics
from renkei.errors import ServiceError
from renkei.sharing.models import CONFINED_TLP, TLP
from renkei.sharing.passing import Kind, passable_tlps

CHUNK_SIZE = 2000
# CSV rows gathered before one piece of the response is sent: fewer, larger writes.
CSV_ROWS_PER_PIECE = 500
DEFAULT_TIME_ZONE = "Asia/Tokyo"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV, XLSX = "csv", "xlsx"
# The parameters that shape an export (the search's and ours), as the audit log keeps them;
# anything else in the address (page, junk) changes nothing and is not kept.
AUDITED_PARAMS = ("q", "community", "kind", "tag", "tlp", "level", "org", "from", "to", "acked",
                  "sort", "confined")
TOPIC_FIELDS = (
    "public_id", "title", "tag", "kind", "tlp", "created_at", "updated_at", "view_count",
    "ack_count", "comment_count", "attachment_count",
    "community__name", "author__name", "author__organisation__name",
    "author_organisation__name",
)


@dataclass(frozen=True)
class ExportRequest:
    query: TopicQuery
    confined: bool
    # The GET parameters as given, for the audit log.
    params: dict[str, list[str]] = field(default_factory=dict)


def may_export_confined(user) -> bool:
    """Whether the user may ask for TLP:RED and TLP:AMBER+STRICT rows (see the module doc)."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def parse_export_request(params: Mapping, user) -> ExportRequest:
    """The search parameters plus `confined`; a ServiceError naming every bad value."""
    errors: list[str] = []
    try:
        query = parse_topic_query(params, user)
    except ServiceError as exc:
        errors += exc.messages
    raw = _values(params, "confined")
    if len(raw) > 1 or (raw and raw[0] not in {"", "0", "1"}):
        errors.append(_(
            "The value of confined must be 1 (include TLP:RED and TLP:AMBER+STRICT) or 0."))
    confined = raw == ["1"]
    if confined and not may_export_confined(user):
        errors.append(_("You may not export TLP:RED or TLP:AMBER+STRICT topics."))
    if errors:
        raise ServiceError(errors)
    given = {key: _values(params, key) for key in AUDITED_PARAMS if _values(params, key)}
    return ExportRequest(query=query, confined=confined, params=given)


def _values(params: Mapping, key: str) -> list[str]:
    if hasattr(params, "getlist"):
        return [str(v) for v in params.getlist(key)]
    value = params.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


# --- rows ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Labels:
    """Everything a row needs that depends on the reader's language and zone, fixed when the
    export starts: a streamed response is written after the view (and its language) is gone."""

    header: tuple[str, ...]
    notice: str
    tags: dict[str, str]
    kinds: dict[str, str]
    tlps: dict[str, str]
    zone: zoneinfo.ZoneInfo
    link_prefix: str


def labels_for(user, link_prefix: str) -> Labels:
    """`link_prefix`: the absolute URL of a topic page without the topic id."""
    return Labels(
        header=(
            _("Topic ID"), _("Title"), _("Tag"), _("Kind of information"), "TLP",
            _("Community"), _("Posted by"), _("Organisation"), _("Created"),
            _("Last update"), _("Views"), "いいね！", _("Comments"), _("Attachments"),
            _("Link"),
        ),
        notice=_("Includes TLP:RED / TLP:AMBER+STRICT — do not share beyond the recipients"),
        tags={tag.value: str(tag.label) if tag.value else "" for tag in TopicTag},
        kinds={kind.value: str(kind.label) for kind in InformationKind},
        tlps={tlp.value: str(tlp.label) for tlp in TLP},
        zone=_zone(user),
        link_prefix=link_prefix,
    )


def _zone(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or DEFAULT_TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)


def export_queryset(user, export: ExportRequest) -> QuerySet:
    """The rows to export, as plain values: no model objects, no query per row."""
    # A file the reader downloads: the pass-on rule lets it take what they read.
    topics = search_topics(user, export.query).filter(tlp__in=passable_tlps(Kind.EXPORT))
    if not export.confined:
        topics = topics.exclude(tlp__in=CONFINED_TLP)
    return topics.values(*TOPIC_FIELDS)


def export_rows(user, export: ExportRequest, labels: Labels) -> Iterator[tuple]:
    """One tuple per readable topic, in the list's order, read CHUNK_SIZE rows at a time."""
    for row in export_queryset(user, export).iterator(chunk_size=CHUNK_SIZE):
        yield _row(row, labels)


def _row(row: dict[str, Any], labels: Labels) -> tuple:
    return (
        row["public_id"],
        row["title"],
        labels.tags.get(row["tag"], row["tag"]),
        labels.kinds.get(row["kind"], row["kind"]),
        labels.tlps.get(row["tlp"], row["tlp"]),
        row["community__name"],
        # As User.display_name shows people: `組織名) 氏名`.
        f"{row['author__organisation__name']}) {row['author__name']}",
        row["author_organisation__name"],
        _local(row["created_at"], labels.zone),
        _local(row["updated_at"], labels.zone),
        row["view_count"],
        row["ack_count"],
        row["comment_count"],
        row["attachment_count"],
        labels.link_prefix + row["public_id"] + "/",
    )


def _local(moment: datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    if moment is None:
        return ""
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet would read as a formula is made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cells(row: Iterable) -> list:
    return [neutralise(value) for value in row]


# --- audit -----------------------------------------------------------------------------------

class ExportCounter:
    """Counts rows as they are written and records the end of the export once."""

    def __init__(self, user, fmt: str, export: ExportRequest, ip_address: str | None):
        self.user, self.format, self.rows, self.closed = user, fmt, 0, False
        self.ip_address = ip_address
        self.entry = audit.record(
            user, "topics.export", ip_address=ip_address, format=fmt, params=export.params,
            confined=export.confined,
        )

    def close(self, *, finished: bool) -> None:
        if self.closed:
            return
        self.closed = True
        audit.record(
            self.user, "topics.export.done", ip_address=self.ip_address, export=self.entry.pk,
            format=self.format, rows=self.rows, finished=finished,
        )


# --- CSV -------------------------------------------------------------------------------------

def csv_pieces(rows: Iterable[tuple], labels: Labels, *, confined: bool,
               counter: ExportCounter) -> Iterator[bytes]:
    """UTF-8 with BOM (so Excel in Japan reads it), CRLF, rows sent in pieces as written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if confined:
        writer.writerow([labels.notice])
    writer.writerow(labels.header)
    finished = False
    try:
        yield "\ufeff".encode() + _drain(buffer)
        pending = 0
        for row in rows:
            writer.writerow(_cells(row))
            counter.rows += 1
            pending += 1
            if pending >= CSV_ROWS_PER_PIECE:
                yield _drain(buffer)
                pending = 0
        yield _drain(buffer)
        finished = True
    finally:
        counter.close(finished=finished)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


# --- XLSX ------------------------------------------------------------------------------------

def write_xlsx(rows: Iterable[tuple], labels: Labels, *, confined: bool,
               counter: ExportCounter, open_file: Callable[[], IO[bytes]] | None = None
               ) -> IO[bytes]:
    """The workbook in a temporary file, rewound; openpyxl's write-only mode keeps no rows."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Topics"))
    if confined:
        sheet.append([labels.notice])
    sheet.append(list(labels.header))
    finished = False
    try:
        for row in rows:
            sheet.append([_xml_safe(cell) for cell in _cells(row)])
            counter.rows += 1
        target = (open_file or _temporary_file)()
        workbook.save(target)
        target.seek(0)
        finished = True
        return target
    finally:
        counter.close(finished=finished)


def _temporary_file() -> IO[bytes]:
    # Deleted when closed, i.e. when the response has been sent.
    return tempfile.TemporaryFile(suffix=".xlsx")


def _xml_safe(value: Any) -> Any:
    """Drop the control characters XML (and so XLSX) cannot hold; openpyxl refuses them."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def filename(fmt: str, zone: zoneinfo.ZoneInfo) -> str:
    return f"renkei-topics-{timezone.now().astimezone(zone):%Y%m%d-%H%M}.{fmt}"


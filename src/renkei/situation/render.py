"""An AM/PM report's frozen snapshot, as a page, Markdown, PDF and XLSX.

Everything is read from `EscalationReport.content`, never from the cases, so a report reads the
same whenever it is opened. Labels follow the reader's language; times the reader's zone.
"""

import io
import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from renkei.accounts.models import Sector
from renkei.communities.export import neutralise
from renkei.incidents.models import (
    CaseEvent,
    CaseState,
    EventEffect,
    PublicExposure,
    ReportKind,
    Severity,
)
from renkei.pdf import PdfDocument

CHOICES = {
    CaseEvent.Kind.STATE.value: CaseState, CaseEvent.Kind.SEVERITY.value: Severity,
    CaseEvent.Kind.EFFECT.value: EventEffect, CaseEvent.Kind.EXPOSURE.value: PublicExposure,
}


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or "–"


def _zone(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "Asia/Tokyo")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Tokyo")


def _local(iso: str | None, zone) -> str:
    if not iso:
        return "–"
    return timezone.localtime(datetime.fromisoformat(iso), zone).strftime("%Y-%m-%d %H:%M")


@dataclass
class CaseView:
    reference: str
    title: str
    organisation: str
    sector: str
    kind: str
    classification: str
    severity: str
    state: str
    affects_event: str
    public_exposure: str
    opened_at: str
    first_response_at: str
    closed_at: str
    assignee: str
    is_new: bool
    what_happened: str
    current_state: str
    changes: list[str]
    case_id: int


@dataclass
class ReportView:
    title: str
    slot: str
    period: str
    generated: str
    counts: dict
    cases: list[CaseView]

    @property
    def is_empty(self) -> bool:
        return not self.cases


def slot_of(report, zone) -> str:
    """AM or PM by the hour the period ends (the seed: セキュリティ調整センター報告（AM/PM）)."""
    return "AM" if timezone.localtime(report.period_end, zone).hour < 12 else "PM"


def _change(change: dict, zone) -> str:
    kind = change["kind"]
    try:
        what = str(CaseEvent.Kind(kind).label)
    except ValueError:
        what = kind
    choices = CHOICES.get(kind)
    old = _label(choices, change["old"]) if choices else change["old"]
    new = _label(choices, change["new"]) if choices else change["new"]
    if kind == CaseEvent.Kind.ESCALATION:
        flags = {"True": _("escalated"), "False": _("not escalated")}
        old, new = flags.get(old, old), flags.get(new, new)
    parts = [f"{_local(change['at'], zone)} {what}"]
    if old or new:
        parts.append(f"{old or '–'} → {new or '–'}")
    if change.get("text"):
        parts.append(change["text"])
    return " ".join(parts)


def report_view(report, user) -> ReportView:
    zone = _zone(user)
    content = report.content or {}
    english = (get_language() or "ja").startswith("en")
    sectors = dict(Sector.choices)
    cases = []
    for row in content.get("cases", []):
        klass = row.get("classification") or {}
        cases.append(CaseView(
            reference=row["reference"], title=row["title"], organisation=row["organisation"],
            sector=str(sectors.get(row.get("sector"), "")) if row.get("sector") else "–",
            kind=_label(ReportKind, row.get("report_kind", "")),
            classification=(klass.get("en") if english else klass.get("ja")) or _(
                "Not classified"),
            severity=_label(Severity, row["severity"]), state=_label(CaseState, row["state"]),
            affects_event=_label(EventEffect, row["affects_event"]),
            public_exposure=_label(PublicExposure, row["public_exposure"]),
            opened_at=_local(row["opened_at"], zone),
            first_response_at=_local(row.get("first_response_at"), zone),
            closed_at=_local(row.get("closed_at"), zone), assignee=row.get("assignee") or "–",
            is_new=row["is_new"], what_happened=row.get("what_happened", ""),
            current_state=row.get("current_state", ""),
            changes=[_change(c, zone) for c in row.get("changes", [])], case_id=row["id"],
        ))
    slot = slot_of(report, zone)
    period = content.get("period", {})
    return ReportView(
        title=_("Report to the security coordination centre (%(slot)s)") % {"slot": slot},
        slot=slot,
        period=f"{_local(period.get('start'), zone)} – {_local(period.get('end'), zone)}",
        generated=_local(report.generated_at.isoformat(), zone),
        counts=content.get("counts", {}), cases=cases,
    )


def _summary_lines(view: ReportView) -> list[str]:
    counts = view.counts
    if view.is_empty:
        return [_("No escalated case was opened or changed in this period.")]
    return [
        _("Escalated cases: %(total)d (new %(new)d, changed %(changed)d)") % {
            "total": counts.get("total", 0), "new": counts.get("new", 0),
            "changed": counts.get("changed", 0)},
        _("Affecting the event (yes or possible): %(n)d") % {"n": counts.get("affects_event", 0)},
        _("Public or may become public: %(n)d") % {"n": counts.get("public", 0)},
        _("Still open: %(n)d") % {"n": counts.get("open", 0)},
    ]


def _fields(case: CaseView) -> list[tuple[str, str]]:
    return [
        (_("Organisation"), f"{case.organisation} ({case.sector})"),
        (_("Kind of report"), case.kind),
        (_("Classification"), case.classification),
        (_("State"), case.state),
        (_("Severity"), case.severity),
        (_("Effect on the event"), case.affects_event),
        (_("Public exposure"), case.public_exposure),
        (_("Opened"), case.opened_at),
        (_("First response"), case.first_response_at),
        (_("Closed"), case.closed_at),
        (_("Assignee"), case.assignee),
        (_("What happened"), case.what_happened or "–"),
        (_("Current state and actions taken"), case.current_state or "–"),
    ]


def _new_or_changed(case: CaseView) -> str:
    return _("New") if case.is_new else _("Changed")


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def as_markdown(view: ReportView) -> str:
    lines = [f"# {view.title}", "", f"- {_('Period')}: {view.period}",
             f"- {_('Generated')}: {view.generated}", "", f"## {_('Summary')}", ""]
    lines += [f"- {line}" for line in _summary_lines(view)]
    if not view.is_empty:
        lines += ["", f"## {_('Escalated cases')}", "",
                  f"| {_('Case')} | {_('New or changed')} | {_('Classification')} | "
                  f"{_('State')} | {_('Effect on the event')} | {_('Public exposure')} |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {_md_cell(c.reference)} {_md_cell(c.title)} | {_new_or_changed(c)} | "
                  f"{_md_cell(c.classification)} | {c.state} | {c.affects_event} | "
                  f"{c.public_exposure} |" for c in view.cases]
        # Outside the f-string, where makemessages can see them.
        item, value = _("Item"), _("Value")
        for case in view.cases:
            lines += ["", f"### {case.reference} {case.title}", "",
                      f"| {item} | {value} |", "|---|---|"]
            lines += [f"| {label} | {_md_cell(value)} |" for label, value in _fields(case)]
            if case.changes:
                lines += ["", f"{_('Changes in the period')}:", ""]
                lines += [f"- {change}" for change in case.changes]
    return "\n".join(lines) + "\n"


def as_pdf(view: ReportView) -> bytes:
    doc = PdfDocument(view.title, subtitle=f"{_('Period')}: {view.period}　"
                      f"{_('Generated')}: {view.generated}", footer=view.title)
    doc.heading(_("Summary")).bullets(_summary_lines(view))
    if not view.is_empty:
        doc.heading(_("Escalated cases"))
        doc.table([_("Case"), _("New or changed"), _("Classification"), _("State"),
                   _("Effect on the event"), _("Public exposure")],
                  [[f"{c.reference} {c.title}", _new_or_changed(c), c.classification, c.state,
                    c.affects_event, c.public_exposure] for c in view.cases],
                  widths=[0.32, 0.1, 0.16, 0.12, 0.14, 0.16])
        for case in view.cases:
            doc.heading(f"{case.reference} {case.title}", level=2)
            doc.key_values(_fields(case))
            if case.changes:
                doc.paragraph(_("Changes in the period"), note=True).bullets(case.changes)
    return doc.build()


def _cell(value):
    value = neutralise(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def as_xlsx(view: ReportView) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = _("Summary")[:31]
    summary.append([_cell(view.title)])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([_("Period"), _cell(view.period)])
    summary.append([_("Generated"), _cell(view.generated)])
    for line in _summary_lines(view):
        summary.append([_cell(line)])
    summary.column_dimensions["A"].width = 60
    cases = workbook.create_sheet(_("Escalated cases")[:31])
    header = [_("Case"), _("Title"), _("New or changed")] + [label for label, _v in
                                                              _fields(_blank_case())]
    cases.append(header)
    for cell in cases[1]:
        cell.font = Font(bold=True)
    for case in view.cases:
        cases.append([_cell(v) for v in [case.reference, case.title, _new_or_changed(case)]
                      + [value for _l, value in _fields(case)]])
    changes = workbook.create_sheet(_("Changes in the period")[:31])
    changes.append([_("Case"), _("Change")])
    for case in view.cases:
        for change in case.changes:
            changes.append([_cell(case.reference), _cell(change)])
    for sheet in (cases, changes):
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = 24
            for cell in column:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _blank_case() -> CaseView:
    return CaseView(*([""] * 14), False, "", "", [], 0)


def filename(report, view: ReportView, fmt: str) -> str:
    zone = zoneinfo.ZoneInfo("Asia/Tokyo")
    end = timezone.localtime(report.period_end, zone)
    return f"renkei-escalation-{end:%Y%m%d-%H%M}-{view.slot.lower()}.{fmt}"

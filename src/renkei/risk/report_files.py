"""A feedback report as XLSX and PDF, from the same presentation as the HTML page."""

import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from renkei.pdf import PdfDocument
from renkei.risk.report import Presented

HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
NOTICE = gettext_lazy("This report is for your organisation only; it compares your "
                      "assessment with the model case of your sector, never with other "
                      "organisations.")


def _title(presented: Presented) -> str:
    report = presented.report
    return _("Risk assessment feedback report: %(round)s, %(organisation)s") % {
        "round": report.round, "organisation": report.organisation.name}


def _matrix_header(presented: Presented) -> list[str]:
    previous = [f"{_('Previous')}: {c}" for c in presented.cia] if presented.has_previous \
        else []
    return [_("Group"), _("Threat event"), _("Kill-chain phase"), *previous,
            *[f"{_('This round')}: {c}" for c in presented.cia]]


def _matrix_rows(presented: Presented) -> list[list[str]]:
    return [[r.group, r.threat, r.phase, *((r.previous or []) if presented.has_previous else []),
             *r.current] for r in presented.matrix]


def _previous_note(presented: Presented) -> str:
    if presented.has_previous:
        return _("Beside it: your submission in round %(n)d.") % {"n": presented.previous_round}
    return _("Your organisation has no submitted assessment in an earlier round, so there is "
             "nothing to compare with yet.")


def feedback_xlsx(presented: Presented) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Matrix")[:31]
    ws.append([_title(presented)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([str(NOTICE)])
    ws.append([_previous_note(presented)])
    ws.append([_("○ covered by a submitted risk source · × expected by the model case but "
                 "missing")])
    ws.append([])
    ws.append(_matrix_header(presented))
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = Font(bold=True), HEAD_FILL
        cell.alignment = Alignment(wrap_text=True)
    for row in _matrix_rows(presented):
        ws.append(row)
    for letter, width in zip("ABC", (14, 34, 26), strict=True):
        ws.column_dimensions[letter].width = width

    items = wb.create_sheet(_("Possibly missing")[:31])
    items.append([_("Kind"), _("Item"), _("Model-case reasoning"), _("Centre comment")])
    for cell in items[1]:
        cell.font, cell.fill = Font(bold=True), HEAD_FILL
    for item in presented.items:
        items.append([str(item.kind), item.name, item.reason, item.comment])
    if presented.general_comment:
        items.append([])
        items.append([_("General comment"), presented.general_comment])
    for letter, width in zip("ABCD", (14, 30, 70, 50), strict=True):
        items.column_dimensions[letter].width = width
    for row in items.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def feedback_pdf(presented: Presented) -> bytes:
    report = presented.report
    doc = PdfDocument(_title(presented), subtitle=_("Sector: %(sector)s · version %(version)s")
                      % {"sector": presented.sector, "version": report.content.get("version")},
                      footer=_("For %(organisation)s only") % {
                          "organisation": report.organisation.name},
                      landscape_pages=True)
    doc.paragraph(str(NOTICE), note=True)
    if presented.general_comment:
        doc.heading(_("Comment from the centre"))
        doc.paragraph(presented.general_comment)
    doc.heading(_("Threat event × kill-chain phase × CIA"))
    doc.paragraph(_previous_note(presented), note=True)
    doc.paragraph(_("○ covered by a submitted risk source · × expected by the model case but "
                    "missing"), note=True)
    header = _matrix_header(presented)
    fixed = [0.1, 0.22, 0.18]
    rest = (1 - sum(fixed)) / max(len(header) - 3, 1)
    doc.table(header, _matrix_rows(presented), widths=fixed + [rest] * (len(header) - 3))
    doc.heading(_("Possibly missing resources, threat events and risk sources"))
    if presented.items:
        doc.table([_("Kind"), _("Item"), _("Model-case reasoning"), _("Centre comment")],
                  [[str(i.kind), i.name, i.reason, i.comment] for i in presented.items],
                  widths=[0.1, 0.2, 0.45, 0.25])
    else:
        doc.paragraph(_("Nothing the model case expects is missing."))
    return doc.build()

"""The evaluation report as a PDF: the same content as the report page, built with renkei.pdf."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from renkei.evaluations.models import FindingState
from renkei.evaluations.selectors import Report, result_summary
from renkei.pdf import PdfDocument


def _day(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def render_report(report: Report, result_labels: dict) -> bytes:
    evaluation = report.evaluation
    doc = PdfDocument(
        _("Evaluation report: %(title)s") % {"title": evaluation.title},
        subtitle=f"{evaluation.organisation.name} · {_day(evaluation.period_start)} – "
                 f"{_day(evaluation.period_end)}",
        footer=_("Confidential: for %(organisation)s and the centre only")
        % {"organisation": evaluation.organisation.name},
    )
    evaluators = ", ".join(p.display_name for p in evaluation.evaluators.all())
    doc.key_values([
        (_("Organisation"), evaluation.organisation.name),
        (_("State"), evaluation.get_state_display()),
        (_("Evaluators"), evaluators),
        (_("Scope"), evaluation.scope),
        (_("Printed"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
    ])
    if evaluation.summary:
        doc.heading(_("Summary"))
        doc.paragraph(evaluation.summary)
    doc.heading(_("Items checked"))
    summary = result_summary(report, result_labels)
    doc.paragraph("  ".join(f"{label}: {n}" for _key, label, n in summary)
                  or _("No verification items yet."))

    doc.heading(_("Findings"))
    if not report.findings:
        doc.paragraph(_("No findings."))
    for finding in report.findings:
        def block(doc, finding=finding):
            state = finding.get_state_display()
            if finding.state == FindingState.CLOSED and finding.closed_at:
                state += f" ({_day(timezone.localtime(finding.closed_at))})"
            doc.heading(f"{finding.code} {finding.title}", level=2)
            doc.key_values([
                (_("Severity"), finding.get_severity_display()),
                (_("State"), state),
                (_("Due date"), _day(finding.due_date)),
                (_("Owner at the organisation"), finding.owner.name if finding.owner else "—"),
                (_("Description"), finding.description),
                (_("Improvement proposal"), finding.proposal),
            ])
        doc.keep_together(block)

    doc.heading(_("Risk scenarios"))
    if not report.scenarios:
        doc.paragraph(_("No risk scenarios."))
    for scenario in report.scenarios:
        doc.heading(scenario.title, level=2)
        if scenario.description:
            doc.paragraph(scenario.description)
        doc.table([_("No."), _("Time or phase"), _("Actor"), pgettext("evaluation", "Action"),
                   _("Resource acted on")],
                  [[s.order, s.phase, s.actor, s.action, s.resource]
                   for s in scenario.steps.all()], widths=[0.07, 0.15, 0.18, 0.38, 0.22])
        _items(doc, scenario.items.all())

    doc.heading(_("Checklists"))
    if not report.checklists:
        doc.paragraph(_("No checklists."))
    for checklist in report.checklists:
        doc.heading(checklist.name, level=2)
        _items(doc, checklist.items.all())
    return doc.build()


def _items(doc: PdfDocument, items) -> None:
    rows = []
    for item in items:
        checked = "\n".join(f"{_day(a.conducted_on)} {a.get_method_display()}"
                            for a in item.activities.all()) or item.get_method_display()
        what = f"{item.category}: {item.text}" if item.category else item.text
        rows.append([what, checked,
                     item.get_result_display() if item.result else _("Not checked yet")])
    if rows:
        doc.table([_("Verification item"), _("How checked"), _("Result")], rows,
                  widths=[0.55, 0.27, 0.18])

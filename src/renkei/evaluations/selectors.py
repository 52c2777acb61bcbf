"""Reads for evaluation pages and the report, always starting from the visibility rule."""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from renkei.evaluations.models import (
    SEVERITY_ORDER,
    Activity,
    Checklist,
    Evaluation,
    Finding,
    FindingState,
    Result,
    Scenario,
    VerificationItem,
)
from renkei.sharing.evaluation_visibility import readable_evaluations, readable_findings


def evaluation_rows(user, state: str = "") -> QuerySet:
    rows = readable_evaluations(user).select_related("organisation").annotate(
        finding_count=Count("findings", distinct=True),
        open_count=Count("findings", filter=~Q(findings__state=FindingState.CLOSED),
                         distinct=True),
    ).order_by("-period_start", "-id")
    return rows.filter(state=state) if state else rows


def finding_rows(user, state: str = "", overdue_before=None) -> QuerySet:
    rows = readable_findings(user).select_related("evaluation__organisation", "owner")
    if state == "not_closed":
        rows = rows.exclude(state=FindingState.CLOSED)
    elif state:
        rows = rows.filter(state=state)
    if overdue_before is not None:
        rows = rows.exclude(state=FindingState.CLOSED).filter(due_date__lt=overdue_before)
    return rows.order_by("due_date", "evaluation_id", "number")


def _items() -> QuerySet:
    activities = Activity.objects.select_related("recorded_by__organisation").prefetch_related(
        "evidence")
    return VerificationItem.objects.select_related("step").prefetch_related(
        Prefetch("activities", queryset=activities), "findings")


@dataclass
class Report:
    """What the evaluation page and the report (HTML, PDF) show, read in a fixed few queries."""

    evaluation: Evaluation
    scenarios: list[Scenario]
    checklists: list[Checklist]
    findings: list[Finding]
    results: Counter = field(default_factory=Counter)
    finding_states: Counter = field(default_factory=Counter)

    @property
    def item_count(self) -> int:
        return sum(self.results.values())


def report(evaluation: Evaluation) -> Report:
    """`evaluation` comes from `access_evaluation`: everything below is read through it."""
    scenarios = list(evaluation.scenarios.prefetch_related(
        "steps", Prefetch("items", queryset=_items())))
    checklists = list(evaluation.checklists.prefetch_related(Prefetch("items",
                                                                      queryset=_items())))
    findings = sorted(
        evaluation.findings.select_related("owner__organisation", "item").prefetch_related(
            "updates__author__organisation"),
        key=lambda f: (f.state == FindingState.CLOSED, SEVERITY_ORDER.index(f.severity),
                       f.number))
    results: Counter = Counter()
    for parent in [*scenarios, *checklists]:
        for item in parent.items.all():
            results[item.result or "unchecked"] += 1
    return Report(evaluation, scenarios, checklists, findings, results,
                  Counter(f.state for f in findings))


RESULT_KEYS = [*Result.values, "unchecked"]


def result_summary(report: Report, labels: dict) -> list[tuple[str, str, int]]:
    """(key, label, how many items) for each result the evaluation's items have."""
    return [(key, labels[key], report.results[key]) for key in RESULT_KEYS
            if report.results[key]]

"""Statistics for a period: what the centre received and how fast it answered.

Read only, from the cases the user may handle (`incidents.selectors.centre_cases`); a report
counts in the period in which its case was opened.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from renkei.accounts.models import Sector
from renkei.incidents.models import CaseState, Classification, ReportKind


@dataclass
class PeriodStatistics:
    start: datetime
    end: datetime
    total: int
    by_kind: list[tuple[str, int]]
    by_class: list[tuple[str, int]]
    by_sector: list[tuple[str, int]]
    by_state: list[tuple[str, int]]
    escalated: int
    answered: int
    median_first_response: timedelta | None
    p90_first_response: timedelta | None


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks (as spreadsheets compute it)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _counts(queryset: QuerySet, field: str) -> dict:
    return dict(queryset.values_list(field).annotate(n=Count("pk")).order_by())


def period_statistics(cases: QuerySet, start: datetime, end: datetime) -> PeriodStatistics:
    in_period = cases.filter(opened_at__gte=start, opened_at__lt=end)
    kinds = _counts(in_period, "report__kind")
    classes = _counts(in_period, "classification")
    sectors = _counts(in_period, "organisation__sector")
    states = _counts(in_period, "state")
    names = {c.pk: c.name for c in Classification.objects.all()}
    by_class = [(names[pk], classes[pk]) for pk in names if classes.get(pk)]
    if classes.get(None):
        by_class.append((_("Not classified"), classes[None]))
    sector_labels = dict(Sector.choices)
    by_sector = sorted(((str(sector_labels.get(code, _("No sector"))) if code else _("No sector"),
                         n) for code, n in sectors.items()), key=lambda kv: -kv[1])
    seconds = [
        (answered - opened).total_seconds()
        for opened, answered in in_period.filter(first_response_at__isnull=False)
        .values_list("opened_at", "first_response_at")
    ]
    median, p90 = percentile(seconds, 0.5), percentile(seconds, 0.9)
    return PeriodStatistics(
        start=start, end=end, total=sum(kinds.values()),
        by_kind=[(str(label), kinds.get(code, 0)) for code, label in ReportKind.choices],
        by_class=by_class, by_sector=by_sector,
        by_state=[(str(label), states[code]) for code, label in CaseState.choices
                  if states.get(code)],
        escalated=in_period.filter(escalated=True).count(), answered=len(seconds),
        median_first_response=timedelta(seconds=median) if median is not None else None,
        p90_first_response=timedelta(seconds=p90) if p90 is not None else None,
    )

"""Reads for the risk pages. Every list starts from `sharing.risk_visibility`."""

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from renkei.accounts.models import Sector
from renkei.risk import pdca
from renkei.risk.models import FeedbackReport, Round, Submission
from renkei.sharing.risk_visibility import readable_feedback, readable_submissions

# Sector figures are shown to the centre only for groups at least this large, so that no single
# organisation's answers can be read off a distribution.
MIN_GROUP = 5
BUCKETS = [(0, 20), (20, 40), (40, 60), (60, 80), (80, 101)]
STAGES = [("Plan", ["1", "2", "3", "4", "5"]), ("Do", ["6", "7", "8"]), ("Check", ["9"]),
          ("Act", ["10"])]


@dataclass
class TargetStatus:
    organisation: object
    submitted: Submission | None
    report: FeedbackReport | None


def target_statuses(user, round: Round) -> list[TargetStatus]:
    """For the centre's round page: each target with its newest submitted version and report
    (drafts are the organisation's own and are not shown)."""
    latest: dict[int, Submission] = {}
    for s in readable_submissions(user).filter(round=round, state=Submission.State.SUBMITTED) \
            .order_by("organisation_id", "version"):
        latest[s.organisation_id] = s
    reports = {r.organisation_id: r for r in readable_feedback(user).filter(round=round)}
    return [TargetStatus(t.organisation, latest.get(t.organisation_id),
                         reports.get(t.organisation_id))
            for t in round.targets.select_related("organisation").order_by("organisation__name")]


def own_versions(user, round: Round) -> list[Submission]:
    return list(readable_submissions(user).filter(
        round=round, organisation_id=user.organisation_id).order_by("-version"))


def pdca_trend(user, organisation) -> list[tuple[Round, dict]]:
    """(round, PDCA answers) of the newest version per round the reader may see: submitted
    versions, and for the organisation's own people also a draft of a round not yet submitted."""
    by_round: dict[int, Submission] = {}
    for s in readable_submissions(user).filter(organisation=organisation) \
            .select_related("round").order_by("round__number", "state", "version"):
        current = by_round.get(s.round_id)
        # A submitted version wins over a draft; among equals the newest.
        if current is None or s.state == Submission.State.SUBMITTED or current.is_draft:
            by_round[s.round_id] = s
    return [(s.round, s.pdca) for s in sorted(by_round.values(), key=lambda s: s.round.number)]


def stage_series(trend: list[tuple[Round, dict]]) -> tuple[list[str], list[tuple[str, list]]]:
    labels = [_("Round %(n)d") % {"n": r.number} for r, _answers in trend]
    series = []
    for stage, keys in STAGES:
        values = []
        for _round, answers in trend:
            given = [answers[k] for k in keys if k in answers]
            values.append(round(sum(given) / len(given), 2) if given else None)
        series.append((stage, values))
    return labels, series


@dataclass
class SectorFigures:
    sector: str
    organisations: int
    shown: bool
    coverage: list[int]  # organisations per BUCKETS bucket of expected cells covered
    pdca: list[float | None]  # mean level per PDCA item


def sector_distributions(assessment_round: Round) -> list[SectorFigures]:
    """Per sector, how the organisations' own coverage of what their model case expects is
    spread, and the mean PDCA level per item — anonymous counts and means, no names, and
    nothing for a sector with fewer than MIN_GROUP organisations. For the centre only (the
    view checks); no organisation ever sees another's figures."""
    reports = FeedbackReport.objects.filter(round=assessment_round).select_related(
        "organisation",
                                                                        "submission")
    groups: dict[str, list[FeedbackReport]] = defaultdict(list)
    for report in reports:
        groups[report.organisation.sector].append(report)
    result = []
    for sector, members in sorted(groups.items()):
        name = str(Sector(sector).label) if sector in Sector.values else _("no sector")
        if len(members) < MIN_GROUP:
            result.append(SectorFigures(name, len(members), False, [], []))
            continue
        buckets = [0] * len(BUCKETS)
        for report in members:
            expected = report.content.get("expected_cells") or 0
            share = 100 * report.content.get("covered_expected", 0) / expected if expected \
                else 100
            for i, (low, high) in enumerate(BUCKETS):
                if low <= share < high:
                    buckets[i] += 1
        means = []
        for key in pdca.ITEM_KEYS:
            values = [r.submission.pdca[key] for r in members if key in r.submission.pdca]
            means.append(round(sum(values) / len(values), 1) if values else None)
        result.append(SectorFigures(name, len(members), True, buckets, means))
    return result

"""Reads of reports and cases, always through `sharing.incident_visibility`.

`centre_cases(user)` is what other parts (the situation reports, statistics) build on.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from renkei.accounts.models import Organisation
from renkei.communities.paging import ListPage
from renkei.communities.paging import _page_number as page_number
from renkei.incidents.models import OPEN_STATES, CaseState, ResponseTarget, Severity
from renkei.sharing.incident_visibility import readable_cases, readable_reports


def centre_cases(user) -> QuerySet:
    """The cases the user may handle: every case of a report the user reads, for the centre's
    incident staff; nothing for anyone else."""
    return readable_cases(user)


def my_reports(user) -> QuerySet:
    """Reports the user reads (their organisation's, those naming it, and the centre's)."""
    return readable_reports(user).select_related("topic", "organisation").order_by(
        "-topic__updated_at", "-id")


def targets() -> dict[str, ResponseTarget]:
    return {t.severity: t for t in ResponseTarget.objects.all()}


def overdue_q(now=None, by_severity: dict | None = None) -> Q:
    """Open cases past their first-response or time-to-close target."""
    now = now or timezone.now()
    by_severity = targets() if by_severity is None else by_severity
    late = Q(pk__in=[])
    for severity, target in by_severity.items():
        no_answer = Q(first_response_at__isnull=True,
                      opened_at__lt=now - timedelta(minutes=target.first_response_minutes))
        too_long = Q(opened_at__lt=now - timedelta(hours=target.close_hours))
        late |= Q(severity=severity) & (no_answer | too_long)
    return Q(state__in=OPEN_STATES) & late


def _lateness(target, state, opened_at, first_response_at, now) -> tuple[bool, bool]:
    """(no first response in time, past the close target) for an open case."""
    if target is None or state not in OPEN_STATES:
        return False, False
    return (first_response_at is None
            and opened_at < now - timedelta(minutes=target.first_response_minutes),
            opened_at < now - timedelta(hours=target.close_hours))


def flag_overdue(cases, now=None, by_severity: dict | None = None) -> list:
    """Mark each case with .response_overdue, .close_overdue and .overdue (no queries)."""
    now = now or timezone.now()
    by_severity = targets() if by_severity is None else by_severity
    for case in cases:
        target = by_severity.get(case.severity)
        case.response_overdue, case.close_overdue = _lateness(
            target, case.state, case.opened_at, case.first_response_at, now)
        case.overdue = case.response_overdue or case.close_overdue
        case.response_due_at = (case.opened_at + timedelta(minutes=target.first_response_minutes)
                                if target else None)
        case.close_due_at = (case.opened_at + timedelta(hours=target.close_hours)
                             if target else None)
    return cases


@dataclass
class CaseFilter:
    state: str = ""
    severity: str = ""
    classification: str = ""  # code
    assignee: str = ""  # user id, or "none"
    overdue: bool = False
    escalated: bool = False
    text: str = ""
    open_only: bool = False
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, params) -> "CaseFilter":
        state = params.get("state", "")
        severity = params.get("severity", "")
        assignee = params.get("assignee", "")
        return cls(
            state=state if state in CaseState.values else "",
            severity=severity if severity in Severity.values else "",
            classification=params.get("class", "")[:40],
            assignee=assignee if assignee == "none" or assignee.isdigit() else "",
            overdue=params.get("overdue") == "1",
            escalated=params.get("escalated") == "1",
            text=params.get("q", "").strip()[:100],
            open_only=params.get("open") == "1",
        )

    def apply(self, cases: QuerySet, now=None) -> QuerySet:
        if self.state:
            cases = cases.filter(state=self.state)
        elif self.open_only:
            cases = cases.filter(state__in=OPEN_STATES)
        if self.severity:
            cases = cases.filter(severity=self.severity)
        if self.classification:
            cases = cases.filter(classification__code=self.classification)
        if self.assignee == "none":
            cases = cases.filter(assignee__isnull=True)
        elif self.assignee:
            cases = cases.filter(assignee_id=int(self.assignee))
        if self.escalated:
            cases = cases.filter(escalated=True)
        if self.overdue:
            cases = cases.filter(overdue_q(now))
        if self.text:
            text = self.text
            # The organisations first (a few hundred rows), so that on PostgreSQL the match is
            # two index scans (the title's trigram index, migration 0003, and the organisation
            # foreign key) instead of a join filtered row by row over every case.
            named = list(Organisation.objects.filter(name__icontains=text)
                         .values_list("id", flat=True))
            match = Q(title__icontains=text) | Q(organisation_id__in=named)
            reference = text.upper().removeprefix("INC-")
            if reference.isdigit():
                match |= Q(pk=int(reference))
            cases = cases.filter(match)
        return cases

    def query_string(self) -> str:
        from urllib.parse import urlencode

        pairs = {"state": self.state, "severity": self.severity, "class": self.classification,
                 "assignee": self.assignee, "overdue": "1" if self.overdue else "",
                 "escalated": "1" if self.escalated else "", "q": self.text,
                 "open": "1" if self.open_only else ""}
        return urlencode({k: v for k, v in pairs.items() if v})


_URL_MARK = 987654321
ROW_FIELDS = ("id", "title", "state", "severity", "escalated", "opened_at",
              "first_response_at", "updated_at", "organisation_id", "classification_id",
              "assignee_id")


def case_rows(cases: QuerySet) -> QuerySet:
    """What a list or board row shows, as plain values and without joins; `fill_rows` adds
    the names. The visibility rule already makes each query large, and every joined table
    multiplies PostgreSQL's planning time (at 100,000 cases: 2.4 ms with the organisation,
    class and assignee joined against 0.5 ms without, for 0.3 ms of execution)."""
    return cases.values(*ROW_FIELDS)


def fill_rows(rows: list[dict], *, classifications, handlers, now=None,
              by_severity: dict | None = None) -> list[dict]:
    """Complete rows from `case_rows` for the templates: names of the organisation, class
    and assignee (one query for the organisations, at most one for assignees who are no
    longer case handlers), labels, reference, link and the overdue flags.

    Rows are dictionaries rather than model instances because a template's lookup tries
    `row[key]` first: on a model instance that attempt raises and is caught for every
    attribute of every row, which made rendering half of a board request."""
    from renkei.accounts.models import User
    if not rows:
        return rows
    now = now or timezone.now()
    by_severity = targets() if by_severity is None else by_severity
    organisations = dict(Organisation.objects.filter(
        pk__in={row["organisation_id"] for row in rows}).values_list("id", "name"))
    people = {person.pk: person.name for person in handlers}
    others = {row["assignee_id"] for row in rows} - people.keys() - {None}
    if others:
        people.update(User.objects.filter(pk__in=others).values_list("id", "name"))
    classes = {c.pk: c.name for c in classifications}
    states = {value: str(label) for value, label in CaseState.choices}
    severities = {value: str(label) for value, label in Severity.choices}
    # One reverse() for the page instead of one per row.
    link = reverse("incidents:case", args=[_URL_MARK])
    for row in rows:
        pk = row["id"]
        row["pk"] = pk
        row["ref"] = f"INC-{pk:06d}"
        row["url"] = link.replace(str(_URL_MARK), str(pk))
        row["organisation_name"] = organisations.get(row["organisation_id"], "")
        row["assignee_name"] = people.get(row["assignee_id"], "")
        row["classification_name"] = classes.get(row["classification_id"], "")
        row["state_label"] = states.get(row["state"], row["state"])
        row["severity_label"] = severities.get(row["severity"], row["severity"])
        row["response_overdue"], row["close_overdue"] = _lateness(
            by_severity.get(row["severity"]), row["state"], row["opened_at"],
            row["first_response_at"], now)
        row["overdue"] = row["response_overdue"] or row["close_overdue"]
    return rows


# The list counts exactly up to this many pages past the one shown, then says "more than".
# Lower than the topic lists' floor of 1,000 (communities.paging): each counted case is checked
# against the visibility rule, ~10 µs a case at 100,000 cases, and a duty officer narrows the
# filter rather than paging through hundreds.
COUNT_LOOKAHEAD_PAGES = 5


def case_page(cases: QuerySet, raw_number, per_page: int) -> ListPage:
    """One page of `cases` (ordered) with a count bounded a few pages past it."""
    number = page_number(raw_number)
    offset = (number - 1) * per_page
    bound = offset + per_page * (1 + COUNT_LOOKAHEAD_PAGES)
    count = cases.values("id")[: bound + 1].count()
    lower_bound = count > bound
    if not lower_bound and offset >= count > 0:
        number = -(-count // per_page)  # past the end: show the last page
        offset = (number - 1) * per_page
    rows = list(cases[offset: offset + per_page])
    return ListPage(rows, number, per_page, min(count, bound), lower_bound)

"""Reports, cases, internal notes, support requests and the contacts directory against a small
independent oracle, over random worlds (hypothesis).

A world: a centre (whose first person is an always-active commander who handles the cases)
and 2–4 organisations of random kinds and activity; people with random activity, the centre's
with random roles (none, responder, commander, risk assessor); reports by random people naming
random bodies (some inactive or CTI vendors, which the service must refuse); support requests to
random agencies with and without the victim's reading; an internal note on every case; an
emergency contact for every organisation. Built through the real services, then for every person
every read path — the selectors, the report list and pages, the case list, board and pages, the
support request pages, the duty log and the contacts directory — must answer exactly what
`Oracle` decides from the plain description alone. Internal notes' text must never appear in
any response to anyone but the centre's incident staff, and not even to them outside the case
page.
"""

from dataclasses import dataclass, field

import pyotp
import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renkei.accounts.models import Organisation, User
from renkei.accounts.services import create_organisation, create_user, set_totp_secret
from renkei.communities import services as community_services
from renkei.errors import ServiceError
from renkei.incidents import services
from renkei.incidents.models import EmergencyContact
from renkei.incidents.selectors import centre_cases
from renkei.sharing.incident_visibility import (
    readable_case_notes,
    readable_contacts,
    readable_reports,
    readable_support_requests,
)
from renkei.sharing.models import Environment
from tests.test_visibility_oracle import assert_status

CENTRE = "centre"
KINDS = ["participant", "ministry", "agency", "law_enforcement", "vendor"]
ROLES = [(), ("responder",), ("commander",), ("risk_assessor",), ("analyst", "liaison")]
CASE_ROLES = {"commander", "incident_controller", "responder", "liaison", "duty_officer",
              "analyst"}
RECIPIENT_KINDS = {"centre", "participant", "ministry", "agency", "law_enforcement"}
WHOLE_DIRECTORY = {"centre", "ministry", "agency", "law_enforcement"}
HYPOTHESIS = {"deadline": None, "database": None, "print_blob": True,
              "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


@dataclass(frozen=True)
class Org:
    kind: str
    active: bool


@dataclass(frozen=True)
class Person:
    org: int
    active: bool
    roles: tuple[str, ...] = ()
    admin: bool = False


@dataclass(frozen=True)
class ReportSpec:
    reporter: int
    named: frozenset[int]
    tlp: str


@dataclass(frozen=True)
class SupportSpec:
    report: int
    agency: int
    victim: bool


@dataclass
class World:
    orgs: list[Org]
    people: list[Person]
    reports: list[ReportSpec] = field(default_factory=list)
    supports: list[SupportSpec] = field(default_factory=list)


class Oracle:
    def __init__(self, world: World):
        self.w = world

    def signed_in(self, u: int) -> bool:
        person = self.w.people[u]
        return person.active and self.w.orgs[person.org].active

    def kind(self, u: int) -> str:
        return self.w.orgs[self.w.people[u].org].kind

    def handles(self, u: int) -> bool:
        return (self.signed_in(u) and self.kind(u) == CENTRE
                and bool(set(self.w.people[u].roles) & CASE_ROLES))

    def report_accepted(self, r: int) -> bool:
        spec = self.w.reports[r]
        if not self.signed_in(spec.reporter):
            return False
        return all(self.w.orgs[o].active and self.w.orgs[o].kind in RECIPIENT_KINDS
                   for o in spec.named)

    def reads_report(self, u: int, r: int) -> bool:
        if not self.signed_in(u):
            return False
        org = self.w.people[u].org
        spec = self.w.reports[r]
        return (self.kind(u) == CENTRE or org == self.w.people[spec.reporter].org
                or org in spec.named)

    def reads_case(self, u: int, r: int) -> bool:
        return self.handles(u) and self.reads_report(u, r)

    def support_accepted(self, s: int) -> bool:
        spec = self.w.supports[s]
        agency = self.w.orgs[spec.agency]
        return agency.kind == "agency" and agency.active

    def reads_support(self, u: int, s: int) -> bool:
        if not self.signed_in(u):
            return False
        spec = self.w.supports[s]
        org = self.w.people[u].org
        reporter_org = self.w.people[self.w.reports[spec.report].reporter].org
        return (self.kind(u) == CENTRE or org == spec.agency
                or (spec.victim and org == reporter_org))

    def reads_contacts_of(self, u: int, o: int) -> bool:
        if not self.signed_in(u) or not self.w.orgs[o].active:
            return False
        return (self.kind(u) in WHOLE_DIRECTORY or o == self.w.people[u].org
                or self.w.orgs[o].kind == CENTRE)


ACTIVITY = st.sampled_from([True, True, True, False])


@st.composite
def worlds(draw) -> World:
    orgs = [Org(CENTRE, True)]
    orgs += [Org(draw(st.sampled_from(KINDS)), draw(ACTIVITY))
             for _ in range(draw(st.integers(2, 4)))]
    # The centre's first person handles the cases the world needs; always active.
    people = [Person(0, True, ("commander",), admin=True)]
    people += [Person(0, draw(ACTIVITY), draw(st.sampled_from(ROLES)))
               for _ in range(draw(st.integers(1, 2)))]
    for org in range(1, len(orgs)):
        people += [Person(org, draw(ACTIVITY), admin=draw(st.booleans()))
                   for _ in range(draw(st.integers(1, 2)))]
    world = World(orgs, people)
    outsiders = [u for u, p in enumerate(people) if p.org != 0]
    for _ in range(draw(st.integers(1, 4))):
        world.reports.append(ReportSpec(
            reporter=draw(st.sampled_from(outsiders)),
            named=draw(st.frozensets(st.sampled_from(range(1, len(orgs))), max_size=2)),
            tlp=draw(st.sampled_from(["green", "amber", "amber+strict", "red"]))))
    for r in range(len(world.reports)):
        for _ in range(draw(st.integers(0, 2))):
            world.supports.append(SupportSpec(r, draw(st.sampled_from(range(1, len(orgs)))),
                                              draw(st.booleans())))
    return world


@dataclass
class Built:
    users: list[User]
    report_ids: dict[int, int]  # index -> Report pk, accepted reports only
    case_ids: dict[int, int]
    support_ids: dict[int, int]  # index -> SupportRequest pk
    # The same reports filed again in an exercise: none of it may show in live.
    exercise_strings: list[str] = field(default_factory=list)


def title(r: int) -> str:
    return f"qzr{r:03d}x"


def note_text(r: int) -> str:
    return f"qzn{r:03d}x"


def support_text(s: int) -> str:
    return f"qzs{s:03d}x"


def contact_name(o: int) -> str:
    return f"qzk{o:03d}x"


def build(spec: World) -> Built:
    oracle = Oracle(spec)
    orgs = [create_organisation(name=f"org{i}-{o.kind}", kind=o.kind)
            for i, o in enumerate(spec.orgs)]
    community_services.create_community(actor=None, name="そうだんの窓口",
                                        kind="consultation", owner=orgs[0])
    users = []
    for i, p in enumerate(spec.people):
        user = create_user(email=f"p{i}@org{p.org}.example", name=f"person {i}",
                           organisation=orgs[p.org], roles=list(p.roles), is_org_admin=p.admin)
        if user.requires_second_factor:
            set_totp_secret(user, pyotp.random_base32())
        users.append(user)
    for o, org in enumerate(orgs):
        EmergencyContact.objects.create(organisation=org, name=contact_name(o), phone="03-0")
    # Activity first: the services must refuse inactive reporters and recipients.
    Organisation.objects.filter(pk__in=[orgs[i].pk for i, o in enumerate(spec.orgs)
                                        if not o.active]).update(is_active=False)
    User.objects.filter(pk__in=[users[i].pk for i, p in enumerate(spec.people)
                                if not p.active]).update(is_active=False)
    fresh = User.objects.select_related("organisation").in_bulk([u.pk for u in users])
    users = [fresh[u.pk] for u in users]
    commander = users[0]

    report_ids, case_ids, support_ids = {}, {}, {}
    exercise = Environment.objects.create(name="演習", kind=Environment.Kind.EXERCISE)
    community_services.create_community(actor=None, name="そうだんの窓口（演習）",
                                        kind="consultation", owner=orgs[0],
                                        environment_id=exercise.pk)
    exercise_strings = []
    for r, report_spec in enumerate(spec.reports):
        try:
            report = services.file_report(
                actor=users[report_spec.reporter],
                data=services.ReportInput(kind="report", title=title(r),
                                          what_happened=f"what happened in {title(r)}",
                                          tlp=report_spec.tlp),
                named=[orgs[o].pk for o in report_spec.named])
        except ServiceError as exc:
            assert not oracle.report_accepted(r), f"file_report refused {report_spec}: {exc}"
            continue
        assert oracle.report_accepted(r), f"file_report accepted {report_spec}"
        report_ids[r] = report.pk
        case_ids[r] = report.case.pk
        services.add_note(actor=commander, case=report.case, body=note_text(r))
        drill = services.file_report(
            actor=users[report_spec.reporter], environment_id=exercise.pk,
            data=services.ReportInput(kind="report", title=f"qze{r:03d}x",
                                      what_happened="in the exercise", tlp=report_spec.tlp),
            named=[orgs[o].pk for o in report_spec.named])
        services.add_note(actor=commander, case=drill.case, body=f"qzne{r:03d}x")
        exercise_strings += [f"qze{r:03d}x", f"qzne{r:03d}x"]
    for s, support_spec in enumerate(spec.supports):
        if support_spec.report not in case_ids:
            continue
        case = centre_cases(commander).get(pk=case_ids[support_spec.report])
        try:
            request = services.request_support(
                actor=commander, case=case, agencies_named=[orgs[support_spec.agency].pk],
                kind="remote_advice", title=support_text(s), body=f"body {support_text(s)}",
                victim_may_read=support_spec.victim)[0]
        except ServiceError as exc:
            assert not oracle.support_accepted(s), f"request_support refused {support_spec}: {exc}"
            continue
        assert oracle.support_accepted(s), f"request_support accepted {support_spec}"
        support_ids[s] = request.pk
    services.add_duty_log(actor=commander, body="qzdutyx handover")
    return Built(users, report_ids, case_ids, support_ids, exercise_strings)


def in_random_worlds(max_examples: int, check) -> None:
    @settings(max_examples=max_examples, **HYPOTHESIS)
    @given(spec=worlds())
    def run(spec: World) -> None:
        with transaction.atomic():
            built = build(spec)
            for u in range(len(spec.people)):
                check(spec, built, u)
            transaction.set_rollback(True)

    run()


def describe(spec: World, u: int) -> str:
    person = spec.people[u]
    return (f"person {u} ({spec.orgs[person.org]}, active={person.active}, "
            f"roles={person.roles}) in {spec}")


# --- the selectors -------------------------------------------------------------------------------

def _check_selectors(spec: World, built: Built, u: int) -> None:
    oracle, user, who = Oracle(spec), built.users[u], describe(spec, u)
    want_reports = {pk for r, pk in built.report_ids.items() if oracle.reads_report(u, r)}
    assert set(readable_reports(user).values_list("pk", flat=True)) == want_reports, who
    want_cases = {pk for r, pk in built.case_ids.items() if oracle.reads_case(u, r)}
    assert set(centre_cases(user).values_list("pk", flat=True)) == want_cases, who
    want_notes = {note_text(r) for r in built.case_ids if oracle.reads_case(u, r)}
    assert set(readable_case_notes(user).values_list("body", flat=True)) == want_notes, who
    want_support = {pk for s, pk in built.support_ids.items() if oracle.reads_support(u, s)}
    assert set(readable_support_requests(user).values_list("pk", flat=True)) == want_support, who
    want_contacts = {contact_name(o) for o in range(len(spec.orgs))
                     if oracle.reads_contacts_of(u, o)}
    assert set(readable_contacts(user).values_list("name", flat=True)) == want_contacts, who


@pytest.mark.django_db
def test_incident_selectors_match_the_oracle():
    in_random_worlds(15, _check_selectors)


# --- the pages -----------------------------------------------------------------------------------

def _check_pages(spec: World, built: Built, u: int) -> None:
    oracle, who = Oracle(spec), describe(spec, u)
    client = Client()
    client.force_login(built.users[u])
    signed_in = oracle.signed_in(u)
    handles = oracle.handles(u)
    notes = [note_text(r) for r in built.case_ids]
    bodies = []

    def get(url: str):
        response = client.get(url)
        body = response.content.decode()
        bodies.append((url, body))
        return response, body

    response, body = get(reverse("incidents:reports"))
    assert response.status_code == (200 if signed_in else 302), who
    for r in built.report_ids:
        assert (title(r) in body) == oracle.reads_report(u, r), f"report list {r} for {who}"

    for r, pk in built.report_ids.items():
        response, body = get(reverse("incidents:report", args=[pk]))
        assert_status(response, oracle.reads_report(u, r), signed_in, f"report {r} for {who}")
        for s, spec_s in enumerate(spec.supports):
            if s in built.support_ids and spec_s.report == r and title(r) in body:
                assert (support_text(s) in body) == oracle.reads_support(u, s), (
                    f"report page {r} lists support request {s} for {who}")

    for name in ("incidents:list", "incidents:board"):
        response, body = get(reverse(name))
        assert_status(response, handles, signed_in, f"{name} for {who}")
        for r in built.case_ids:
            assert (title(r) in body) == oracle.reads_case(u, r), f"{name} case {r} for {who}"

    for r, pk in built.case_ids.items():
        response, body = get(reverse("incidents:case", args=[pk]))
        readable = oracle.reads_case(u, r)
        assert_status(response, readable, signed_in, f"case {r} for {who}")
        assert (note_text(r) in body) == readable, f"note of case {r} on its page for {who}"

    for s, pk in built.support_ids.items():
        response, body = get(reverse("incidents:support", args=[pk]))
        assert_status(response, oracle.reads_support(u, s), signed_in, f"support {s} for {who}")
        assert (support_text(s) in body) == oracle.reads_support(u, s), who

    response, body = get(reverse("incidents:duty_log"))
    assert_status(response, handles, signed_in, f"duty log for {who}")
    assert ("qzdutyx" in body) == handles, who

    response, body = get(reverse("incidents:contacts"))
    for o in range(len(spec.orgs)):
        assert (contact_name(o) in body) == oracle.reads_contacts_of(u, o), (
            f"contacts of org {o} for {who}")

    # Internal notes leave the centre nowhere, and even inside it only on the case page; nothing
    # of the exercise shows in live.
    for url, body in bodies:
        for drill in built.exercise_strings:
            assert drill not in body, f"exercise {drill} in {url} for {who}"
        for note in notes:
            if note in body:
                assert handles and "/cases/" in url, f"{note} in {url} for {who}"


@pytest.mark.django_db
def test_incident_pages_match_the_oracle():
    in_random_worlds(6, _check_pages)


def test_the_oracle_says_what_the_issue_says():
    world = World(
        orgs=[Org(CENTRE, True), Org("participant", True), Org("ministry", True),
              Org("agency", True), Org("participant", True)],
        people=[Person(0, True, ("commander",)), Person(0, True, ()), Person(1, True),
                Person(2, True), Person(3, True), Person(4, True)],
        reports=[ReportSpec(2, frozenset({2}), "amber")],
        supports=[SupportSpec(0, 3, False), SupportSpec(0, 3, True)],
    )
    oracle = Oracle(world)
    assert {u for u in range(6) if oracle.reads_report(u, 0)} == {0, 1, 2, 3}
    assert {u for u in range(6) if oracle.reads_case(u, 0)} == {0}  # roles, not just the centre
    assert {u for u in range(6) if oracle.reads_support(u, 0)} == {0, 1, 4}
    assert {u for u in range(6) if oracle.reads_support(u, 1)} == {0, 1, 2, 4}
    assert oracle.reads_contacts_of(3, 4) and not oracle.reads_contacts_of(5, 1)
    assert oracle.reads_contacts_of(5, 0) and oracle.reads_contacts_of(5, 4)

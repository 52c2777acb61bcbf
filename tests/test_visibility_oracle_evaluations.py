"""Who reads cross-sectional risk evaluations, against a small independent oracle (hypothesis).

A world is drawn as plain data — organisations of every kind (active or not), people (active or
not, organisation admins or not, holding the risk assessor role or another centre role, some
of them outside the centre with a role row written directly), evaluations of non-centre
organisations in every state, each with findings (owned by someone or nobody), an item and a
piece of evidence — built in the database, and every read path is compared with `Oracle`, which
decides from the plain data alone, never from `sharing/evaluation_visibility.py`:

- people who are inactive, or whose organisation is inactive, read nothing;
- a person of an organisation of kind centre holding the risk assessor role reads every
  evaluation in every state;
- the people of the evaluated organisation read it once it is reported, in follow-up or closed;
- nobody else reads any (a role row outside the centre counts for nothing).

Read paths: the service functions, every page (lists, evaluation, report, report PDF, item,
finding, evidence download, the edit pages), and the mails (the report notice and the due-date
reminders). Each example runs in a transaction that is rolled back.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import pyotp
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renkei.accounts.models import Organisation, RoleAssignment, User
from renkei.accounts.services import set_totp_secret
from renkei.evaluations import jobs, services
from renkei.evaluations.models import (
    Evaluation,
    EvaluationState,
    Evidence,
    Finding,
    FindingState,
    Scenario,
    ScenarioStep,
    VerificationItem,
)
from renkei.jobs.queue import run_pending
from renkei.pdf import extract_text
from renkei.sharing.evaluation_visibility import (
    access_evaluation,
    access_finding,
    readable_evaluations,
    readable_findings,
)
from tests.test_visibility_oracle import assert_status

CENTRE = "centre"
KINDS = ["centre", "participant", "participant", "agency", "ministry", "law_enforcement",
         "vendor"]
STATES = [s.value for s in EvaluationState]
RELEASED = {"reported", "follow_up", "closed"}
HYPOTHESIS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                              HealthCheck.function_scoped_fixture],
    "database": None,
    "print_blob": True,
}


# --- the world as plain data -----------------------------------------------------------------

@dataclass(frozen=True)
class OrgSpec:
    kind: str
    active: bool


@dataclass(frozen=True)
class UserSpec:
    org: int
    active: bool
    admin: bool
    roles: frozenset[str]


@dataclass(frozen=True)
class FindingSpec:
    owner: int | None
    closed: bool


@dataclass(frozen=True)
class EvaluationSpec:
    org: int
    state: str
    findings: tuple[FindingSpec, ...]


@dataclass
class WorldSpec:
    orgs: list[OrgSpec]
    users: list[UserSpec]
    evaluations: list[EvaluationSpec]


class Oracle:
    def __init__(self, world: WorldSpec):
        self.world = world

    def signed_in(self, u: int) -> bool:
        user = self.world.users[u]
        return user.active and self.world.orgs[user.org].active

    def assessor(self, u: int) -> bool:
        user = self.world.users[u]
        return (self.signed_in(u) and self.world.orgs[user.org].kind == CENTRE
                and "risk_assessor" in user.roles)

    def reads(self, u: int, e: int) -> bool:
        evaluation = self.world.evaluations[e]
        if not self.signed_in(u):
            return False
        if self.assessor(u):
            return True
        return self.world.users[u].org == evaluation.org and evaluation.state in RELEASED


@st.composite
def worlds(draw) -> WorldSpec:
    others = draw(st.lists(st.builds(OrgSpec, st.sampled_from(KINDS), st.booleans()),
                           min_size=1, max_size=3))
    orgs = [OrgSpec(CENTRE, True), *others]
    users = draw(st.lists(st.builds(
        UserSpec, st.integers(0, len(orgs) - 1), st.booleans(), st.booleans(),
        st.frozensets(st.sampled_from(["risk_assessor", "analyst"]), max_size=2)),
        min_size=2, max_size=6))
    evaluated = [i for i, o in enumerate(orgs) if o.kind != CENTRE]
    findings = st.lists(st.builds(FindingSpec, st.none() | st.integers(0, len(users) - 1),
                                  st.booleans()), max_size=2)
    evaluations = draw(st.lists(st.builds(
        EvaluationSpec, st.sampled_from(evaluated) if evaluated else st.just(1),
        st.sampled_from(STATES), findings.map(tuple)), max_size=3)) if evaluated else []
    return WorldSpec(orgs, users, evaluations)


# --- building it -----------------------------------------------------------------------------

@dataclass
class Built:
    users: list[User]
    evaluations: list[Evaluation]
    findings: dict[int, list[Finding]]
    items: dict[int, VerificationItem]
    evidence: dict[int, Evidence]


def title_of(e: int) -> str:
    return f"評価対象-{e}-ZQX"


def finding_title(e: int, f: int) -> str:
    return f"指摘-{e}-{f}-QJV"


def build(spec: WorldSpec) -> Built:
    orgs = [Organisation.objects.create(name=f"組織{i}", kind=o.kind, is_active=o.active,
                                        sector="venue" if o.kind == "participant" else "")
            for i, o in enumerate(spec.orgs)]
    users = []
    for i, u in enumerate(spec.users):
        user = User.objects.create_user(email=f"u{i}@example.org", name=f"人{i}",
                                        organisation=orgs[u.org], is_org_admin=u.admin,
                                        is_active=u.active, language="en")
        # Role rows are written directly: outside the centre they must count for nothing.
        RoleAssignment.objects.bulk_create(RoleAssignment(user=user, role=r) for r in u.roles)
        if spec.orgs[u.org].kind == CENTRE:
            set_totp_secret(user, pyotp.random_base32())
        users.append(user)
    evaluations, findings, items, evidence = [], {}, {}, {}
    today = services.today()
    for e, es in enumerate(spec.evaluations):
        evaluation = Evaluation.objects.create(
            title=title_of(e), organisation=orgs[es.org], state=es.state,
            period_start=date(2026, 1, 1), period_end=date(2026, 2, 1))
        scenario = Scenario.objects.create(evaluation=evaluation, title=f"シナリオ-{e}")
        step = ScenarioStep.objects.create(scenario=scenario, order=1, action="侵入")
        items[e] = VerificationItem.objects.create(evaluation=evaluation, scenario=scenario,
                                                   step=step, text=f"項目-{e}",
                                                   method="interview")
        activity = items[e].activities.create(conducted_on=today, method="interview",
                                              result="gap")
        stored = Evidence(activity=activity, original_name="e.txt", content_type="text/plain",
                          size=3, sha256="0")
        stored.file.save("e.txt", ContentFile(f"E{e}".encode()), save=True)
        evidence[e] = stored
        findings[e] = [Finding.objects.create(
            evaluation=evaluation, number=f + 1, item=items[e], title=finding_title(e, f),
            severity="high", description="d", proposal="p", due_date=today + timedelta(days=3),
            owner=users[fs.owner] if fs.owner is not None else None,
            state=FindingState.CLOSED if fs.closed else FindingState.OPEN)
            for f, fs in enumerate(es.findings)]
        evaluations.append(evaluation)
    return Built(users, evaluations, findings, items, evidence)


def in_random_worlds(max_examples: int, check) -> None:
    @settings(max_examples=max_examples, **HYPOTHESIS)
    @given(spec=worlds())
    def run(spec: WorldSpec) -> None:
        with transaction.atomic():
            check(spec, build(spec))
            transaction.set_rollback(True)

    run()


def describe(spec: WorldSpec, u: int) -> str:
    user = spec.users[u]
    return f"user {u} {user} of {spec.orgs[user.org]}"


# --- the service read paths ------------------------------------------------------------------

@pytest.mark.django_db
def test_service_read_paths_match_the_oracle():
    in_random_worlds(25, _check_services)


def _found(access, *args) -> bool:
    try:
        access(*args)
    except Http404:
        return False
    return True


def _check_services(spec: WorldSpec, built: Built) -> None:
    oracle = Oracle(spec)
    for u, user in enumerate(built.users):
        who = describe(spec, u)
        want = {built.evaluations[e].pk for e in range(len(spec.evaluations))
                if oracle.reads(u, e)}
        got = set(readable_evaluations(user).values_list("pk", flat=True))
        assert got == want, f"readable_evaluations for {who}: {spec.evaluations}"
        want_findings = {f.pk for e, fs in built.findings.items() if oracle.reads(u, e)
                         for f in fs}
        assert set(readable_findings(user).values_list("pk", flat=True)) == want_findings, who
        for e, evaluation in enumerate(built.evaluations):
            assert _found(access_evaluation, user, evaluation.pk) == oracle.reads(u, e)
            for e2, fs in built.findings.items():
                for finding in fs:
                    # A finding is only found under its own evaluation's address.
                    expected = e2 == e and oracle.reads(u, e)
                    assert _found(access_finding, user, evaluation.pk, finding.pk) == (
                        expected), f"access_finding({who}, {e}, {finding.title})"
    assert not readable_evaluations(AnonymousUser()).exists()


def test_the_oracle_says_what_the_issue_says():
    world = WorldSpec(
        orgs=[OrgSpec(CENTRE, True), OrgSpec("participant", True), OrgSpec("agency", True)],
        users=[UserSpec(0, True, False, frozenset({"risk_assessor"})),
               UserSpec(0, True, True, frozenset({"analyst"})),
               UserSpec(1, True, False, frozenset()),
               UserSpec(2, True, True, frozenset({"risk_assessor"})),
               UserSpec(0, False, False, frozenset({"risk_assessor"}))],
        evaluations=[EvaluationSpec(1, "in_progress", ()), EvaluationSpec(1, "follow_up", ())],
    )
    oracle = Oracle(world)
    readers = [{u for u in range(5) if oracle.reads(u, e)} for e in range(2)]
    assert readers[0] == {0}  # drafts stay with the assessors
    assert readers[1] == {0, 2}  # the evaluated organisation, once reported


# --- the pages -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_pages_match_the_oracle():
    in_random_worlds(12, _check_pages)


def _check_pages(spec: WorldSpec, built: Built) -> None:
    oracle = Oracle(spec)
    for u, user in enumerate(built.users):
        client = Client()
        client.force_login(user)
        who = describe(spec, u)
        signed_in = oracle.signed_in(u)
        lists = (client.get(reverse("evaluations:list")).content.decode()
                 + client.get(reverse("evaluations:findings") + "?state=").content.decode())
        for e, evaluation in enumerate(built.evaluations):
            reads = oracle.reads(u, e)
            assert (title_of(e) in lists) == reads, f"lists show {e}={reads}? {who}"
            for f in range(len(spec.evaluations[e].findings)):
                assert (finding_title(e, f) in lists) == reads, f"finding {e}/{f} for {who}"
            pages = [("detail", [evaluation.pk]), ("report", [evaluation.pk]),
                     ("item", [evaluation.pk, built.items[e].pk])]
            pages += [("finding", [evaluation.pk, f.pk]) for f in built.findings[e]]
            for name, args in pages:
                response = client.get(reverse(f"evaluations:{name}", args=args))
                assert_status(response, reads, signed_in, f"{name} {args} for {who}")
                assert (title_of(e) in response.content.decode()) == reads, f"{name} {who}"
            pdf = client.get(reverse("evaluations:report_pdf", args=[evaluation.pk]))
            assert_status(pdf, reads, signed_in, f"report.pdf of {e} for {who}")
            if reads:
                text = "".join(extract_text(pdf.content))
                assert title_of(e) in text and all(
                    f.title in text for f in built.findings[e]), f"the PDF of {e}"
            download = client.get(reverse("evaluations:evidence", args=[built.evidence[e].pk]))
            assert_status(download, reads, signed_in, f"evidence of {e} for {who}")
            if reads:
                assert b"".join(download.streaming_content) == f"E{e}".encode()
            # The centre's working pages: assessors only, whatever the state.
            edit = client.get(reverse("evaluations:edit", args=[evaluation.pk]))
            assert_status(edit, oracle.assessor(u), signed_in, f"edit {e} for {who}")
        for e, evaluation in enumerate(built.evaluations):
            # Another evaluation's finding under this evaluation's address: never.
            for e2, fs in built.findings.items():
                if e2 != e and fs:
                    response = client.get(reverse("evaluations:finding",
                                                  args=[evaluation.pk, fs[0].pk]))
                    assert response.status_code in {302, 404}, f"forged {e}/{e2} for {who}"


# --- the mails -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_mails_match_the_oracle(django_capture_on_commit_callbacks):
    in_random_worlds(15, _check_mails)


def _check_mails(spec: WorldSpec, built: Built) -> None:
    oracle = Oracle(spec)
    by_email = {user.email: u for u, user in enumerate(built.users)}
    mail.outbox.clear()
    for evaluation in built.evaluations:
        if evaluation.state in RELEASED:
            jobs.fan_out_reported({"evaluation": evaluation.pk})
    jobs.queue_reminders({"day": services.today().isoformat()})
    run_pending()
    got: set[tuple[int, str]] = set()
    for message in mail.outbox:
        u = by_email[message.to[0]]
        link = next(line for line in message.body.splitlines() if "/evaluations/" in line)
        e = next(i for i, ev in enumerate(built.evaluations)
                 if f"/evaluations/{ev.pk}/" in link)
        assert oracle.reads(u, e), f"a mail about {e} to {describe(spec, u)}"
        got.add((u, link))
    # And everyone who should hear of an open finding does: the admins and the owner.
    for e, es in enumerate(spec.evaluations):
        if es.state not in {"reported", "follow_up"}:
            continue
        for f, fs in enumerate(es.findings):
            if fs.closed:
                continue
            link = reverse("evaluations:finding", args=[built.evaluations[e].pk,
                                                        built.findings[e][f].pk])
            for u, us in enumerate(spec.users):
                # (An owner outside the organisation, which the services refuse, still hears
                # only if the rule lets them read: a centre assessor would.)
                should = oracle.reads(u, e) and ((us.org == es.org and us.admin)
                                                 or fs.owner == u)
                heard = any(g == u and link in g_link for g, g_link in got)
                assert heard == should, f"reminder {e}/{f} to {describe(spec, u)}"


@pytest.mark.django_db
def test_mails_in_a_world_with_owners_outside_the_organisation(django_capture_on_commit_callbacks):
    """A world the random draw found: owners from the centre (an assessor, who reads) and from
    another organisation (who does not); the services refuse such owners, the mails still obey
    the rule."""
    spec = WorldSpec(
        orgs=[OrgSpec(CENTRE, True), OrgSpec("participant", True), OrgSpec("participant", True)],
        users=[UserSpec(0, True, False, frozenset({"risk_assessor"})),
               UserSpec(1, True, True, frozenset()), UserSpec(2, True, False, frozenset())],
        evaluations=[EvaluationSpec(1, "reported", (FindingSpec(0, False), FindingSpec(2, False)))],
    )
    with transaction.atomic():
        _check_mails(spec, build(spec))
        transaction.set_rollback(True)

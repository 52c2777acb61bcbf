"""Risk assessment's read rule against a small independent oracle, over random worlds.

A world is plain data: organisations of every kind (active or not), their people (admins,
members, centre people with and without the risk assessor role, inactive people), rounds in
every state targeting some organisations, submission versions (drafts and submitted) and
feedback reports (released or not). It is written to the database, then every read path —
the selectors, every page, every download (XLSX, PDF), the lists and the round mails — is
compared with `Oracle`, which decides from the plain data alone (never from
`sharing.risk_visibility`):

- people who are inactive, or of an inactive organisation, read nothing;
- a round: the centre's risk assessors read every round; an organisation's people read the
  rounds it is a target of, once opened (not while planned);
- a submission version: its organisation's people read it (draft or submitted); risk assessors
  read submitted versions only, never drafts;
- a feedback report: risk assessors read every report; the organisation's people read theirs
  once released;
- nobody else reads any of these (other organisations, ministries, agencies, the commander or
  analysts of the centre without the role, platform admins).

Each example runs inside a transaction that is rolled back, on SQLite and PostgreSQL alike.
"""

import re
from dataclasses import dataclass, field
from datetime import date

import pyotp
import pytest
from django.core import mail
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renkei.accounts.models import Organisation, User
from renkei.accounts.services import create_organisation, create_user, set_totp_secret
from renkei.risk import jobs
from renkei.risk.models import FeedbackReport, Round, RoundTarget, Submission, SubmissionRow
from renkei.risk.services import compute_report, ensure_catalogue
from renkei.sharing.risk_visibility import (
    access_feedback,
    access_round,
    access_submission,
    readable_feedback,
    readable_rounds,
    readable_submissions,
)

PAGE_EXAMPLES = 6
HYPOTHESIS = {"deadline": None, "database": None, "print_blob": True,
              "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
CENTRE = "centre"
KINDS = ["participant", "participant", "participant", "ministry", "agency", "vendor"]
# Closed rounds are where drafts, submitted versions and reports in both states meet.
STATES = ["planned", "open", "closed", "closed", "feedback_released"]
DRAFT, SUBMITTED = Submission.State.DRAFT.value, Submission.State.SUBMITTED.value


@dataclass(frozen=True)
class OrgSpec:
    kind: str
    active: bool = True


@dataclass(frozen=True)
class UserSpec:
    org: int
    active: bool = True
    admin: bool = False
    roles: frozenset[str] = frozenset()
    platform_admin: bool = False


@dataclass(frozen=True)
class RoundSpec:
    state: str
    targets: frozenset[int]


@dataclass(frozen=True)
class SubmissionSpec:
    round: int
    org: int
    version: int
    state: str


@dataclass(frozen=True)
class ReportSpec:
    round: int
    org: int
    released: bool


@dataclass
class WorldSpec:
    orgs: list[OrgSpec]
    users: list[UserSpec]
    rounds: list[RoundSpec]
    submissions: list[SubmissionSpec] = field(default_factory=list)
    reports: list[ReportSpec] = field(default_factory=list)


class Oracle:
    def __init__(self, w: WorldSpec):
        self.w = w

    def active(self, u: int) -> bool:
        user = self.w.users[u]
        return user.active and self.w.orgs[user.org].active

    def assessor(self, u: int) -> bool:
        user = self.w.users[u]
        return (self.active(u) and self.w.orgs[user.org].kind == CENTRE
                and "risk_assessor" in user.roles)

    def reads_round(self, u: int, r: int) -> bool:
        if not self.active(u):
            return False
        the_round = self.w.rounds[r]
        return self.assessor(u) or (self.w.users[u].org in the_round.targets
                                    and the_round.state != "planned")

    def reads_submission(self, u: int, s: int) -> bool:
        sub = self.w.submissions[s]
        if not self.active(u):
            return False
        return self.w.users[u].org == sub.org or (self.assessor(u) and sub.state == SUBMITTED)

    def reads_report(self, u: int, f: int) -> bool:
        report = self.w.reports[f]
        if not self.active(u):
            return False
        return self.assessor(u) or (self.w.users[u].org == report.org and report.released)

    def invited(self, r: int) -> set[int]:
        """Who an invitation for an open round reaches: active admins of its targets."""
        return {u for u, user in enumerate(self.w.users)
                if user.org in self.w.rounds[r].targets and user.admin and self.active(u)}


ROLES = st.frozensets(st.sampled_from(["risk_assessor", "commander", "analyst"]), max_size=2)
MOSTLY = st.sampled_from([True, True, True, False])


@st.composite
def worlds(draw) -> WorldSpec:
    orgs = [OrgSpec(CENTRE)] + [OrgSpec(draw(st.sampled_from(KINDS)), draw(MOSTLY))
                                for _ in range(draw(st.integers(2, 4)))]
    users = []
    for o, org in enumerate(orgs):
        for i in range(draw(st.integers(1, 3))):
            roles = draw(ROLES) if org.kind == CENTRE else frozenset()
            users.append(UserSpec(o, draw(MOSTLY), admin=(i == 0) or draw(st.booleans()),
                                  roles=roles, platform_admin=draw(
                                      st.sampled_from([False, False, False, True]))))
    if not any("risk_assessor" in u.roles for u in users):
        users.append(UserSpec(0, roles=frozenset({"risk_assessor"})))
    others = range(1, len(orgs))
    rounds = [RoundSpec(draw(st.sampled_from(STATES)),
                        draw(st.frozensets(st.sampled_from(others), min_size=1)))
              for _ in range(draw(st.integers(1, 3)))]
    world = WorldSpec(orgs, users, rounds)
    for r, the_round in enumerate(rounds):
        if the_round.state == "planned":
            continue
        for org in sorted(the_round.targets):
            states = draw(st.sampled_from([[], [DRAFT], [SUBMITTED], [SUBMITTED, DRAFT],
                                           [SUBMITTED, DRAFT], [SUBMITTED, SUBMITTED]]))
            for v, state in enumerate(states, start=1):
                world.submissions.append(SubmissionSpec(r, org, v, state))
            if SUBMITTED in states and the_round.state in ("closed", "feedback_released"):
                world.reports.append(ReportSpec(
                    r, org, the_round.state == "feedback_released" or draw(st.booleans())))
    return world


@dataclass
class Built:
    users: list[User]
    orgs: list[Organisation]
    rounds: list[Round]
    submissions: list[Submission]
    reports: list[FeedbackReport]


def round_title(r: int) -> str:
    return f"qzr{r:03d}x"


def build(spec: WorldSpec) -> Built:
    orgs = [create_organisation(name=f"org{i}-{o.kind}", kind=o.kind,
                                sector="telecom" if o.kind == "participant" else "")
            for i, o in enumerate(spec.orgs)]
    users = []
    for i, u in enumerate(spec.users):
        user = create_user(email=f"u{i}@org{u.org}.example", name=f"user {i}",
                           organisation=orgs[u.org], is_org_admin=u.admin,
                           is_platform_admin=u.platform_admin, roles=sorted(u.roles),
                           language="en")
        if user.requires_second_factor:
            set_totp_secret(user, pyotp.random_base32())
        users.append(user)
    catalogue = ensure_catalogue()
    rounds = []
    for r, spec_round in enumerate(spec.rounds):
        the_round = Round.objects.create(number=r + 1, title=round_title(r), state=spec_round.state,
                                         opens_on=date(2026, 7, 1), closes_on=date(2026, 7, 31),
                                         catalogue=catalogue)
        RoundTarget.objects.bulk_create(RoundTarget(round=the_round, organisation=orgs[o])
                                        for o in spec_round.targets)
        rounds.append(the_round)
    submissions = []
    for s in spec.submissions:
        sub = Submission.objects.create(round=rounds[s.round], organisation=orgs[s.org],
                                        version=s.version, state=s.state,
                                        pdca={"1": s.version})
        SubmissionRow.objects.create(submission=sub, position=1, asset="コアネットワーク",
                                     outcome="O1", threat="E02", risk_source="R05")
        submissions.append(sub)
    reports = []
    for f in spec.reports:
        latest = max((sub for sub, s in zip(submissions, spec.submissions, strict=True)
                      if s.round == f.round and s.org == f.org and s.state == SUBMITTED),
                     key=lambda sub: sub.version)
        reports.append(FeedbackReport.objects.create(
            round=rounds[f.round], organisation=orgs[f.org], submission=latest,
            content=compute_report(rounds[f.round], orgs[f.org], latest),
            released_at=rounds[f.round].created_at if f.released else None))
    Organisation.objects.filter(pk__in=[orgs[i].pk for i, o in enumerate(spec.orgs)
                                        if not o.active]).update(is_active=False)
    User.objects.filter(pk__in=[users[i].pk for i, u in enumerate(spec.users)
                                if not u.active]).update(is_active=False)
    fresh = User.objects.select_related("organisation").in_bulk([u.pk for u in users])
    return Built([fresh[u.pk] for u in users], orgs, rounds, submissions, reports)


def in_random_worlds(max_examples: int, check) -> None:
    @settings(max_examples=max_examples, **HYPOTHESIS)
    @given(spec=worlds())
    def run(spec: WorldSpec) -> None:
        with transaction.atomic():
            check(spec, build(spec))
            transaction.set_rollback(True)

    run()


def _found(access, user, pk) -> bool:
    try:
        access(user, pk)
    except Http404:
        return False
    return True


@pytest.mark.django_db
def test_the_read_rule_matches_the_oracle():
    def check(spec: WorldSpec, built: Built) -> None:
        oracle = Oracle(spec)
        for u, user in enumerate(built.users):
            who = f"user {u} {spec.users[u]} of {spec.orgs[spec.users[u].org]}"
            want = {built.rounds[r].pk for r in range(len(spec.rounds))
                    if oracle.reads_round(u, r)}
            assert set(readable_rounds(user).values_list("pk", flat=True)) == want, who
            want = {built.submissions[s].pk for s in range(len(spec.submissions))
                    if oracle.reads_submission(u, s)}
            assert set(readable_submissions(user).values_list("pk", flat=True)) == want, who
            want = {built.reports[f].pk for f in range(len(spec.reports))
                    if oracle.reads_report(u, f)}
            assert set(readable_feedback(user).values_list("pk", flat=True)) == want, who
            for r, obj in enumerate(built.rounds):
                assert _found(access_round, user, obj.pk) == oracle.reads_round(u, r), who
            for s, obj in enumerate(built.submissions):
                assert _found(access_submission, user, obj.pk) == oracle.reads_submission(u, s)
            for f, obj in enumerate(built.reports):
                assert _found(access_feedback, user, obj.pk) == oracle.reads_report(u, f), who

    in_random_worlds(25, check)


def _every_path(built: Built) -> list[str]:
    paths = [reverse("risk:home"), reverse("risk:catalogue_list")]
    paths += [reverse(n, args=[r.pk]) for r in built.rounds
              for n in ("risk:round", "risk:round_template", "risk:distribution")]
    paths += [reverse(n, args=[s.pk]) for s in built.submissions
              for n in ("risk:submission", "risk:submission_xlsx")]
    paths += [reverse(n, args=[f.pk]) for f in built.reports
              for n in ("risk:feedback", "risk:feedback_xlsx", "risk:feedback_pdf")]
    paths += [reverse("risk:organisation", args=[o.pk]) for o in built.orgs]
    return paths


def _links(page: str, name: str) -> set[int]:
    prefix = reverse(name, args=[0]).rsplit("0/", 1)[0]
    return {int(n) for n in re.findall(re.escape(prefix) + r"(\d+)/", page)}


@pytest.mark.django_db
def test_pages_and_downloads_match_the_oracle():
    def check(spec: WorldSpec, built: Built) -> None:
        oracle = Oracle(spec)
        client = Client()
        for u, user in enumerate(built.users):
            client.force_login(user)
            who = f"user {u} {spec.users[u]} of {spec.orgs[spec.users[u].org]}"
            if not oracle.active(u):
                # Signed out (inactive person or organisation): the sign-in page, or 404.
                for path in _every_path(built):
                    assert client.get(path).status_code in {302, 404}, (who, path)
                continue
            home = client.get(reverse("risk:home")).content.decode()
            for r, the_round in enumerate(built.rounds):
                reads = oracle.reads_round(u, r)
                assert (round_title(r) in home) == reads, who
                for name in ("risk:round", "risk:round_template"):
                    status = client.get(reverse(name, args=[the_round.pk])).status_code
                    assert status == (200 if reads else 404), (who, name, r)
                page = client.get(reverse("risk:round", args=[the_round.pk])).content.decode()
                if reads:
                    # Every submission and report linked from a round page is one the reader
                    # may open; the centre's page never links a draft.
                    shown = _links(page, "risk:submission")
                    assert shown <= {built.submissions[s].pk for s in range(len(
                        spec.submissions)) if oracle.reads_submission(u, s)}, who
                    assert _links(page, "risk:feedback") <= {
                        built.reports[f].pk for f in range(len(spec.reports))
                        if oracle.reads_report(u, f)}, who
                status = client.get(reverse("risk:distribution", args=[the_round.pk]))
                assert status.status_code == (200 if oracle.assessor(u) else 404), who
            for s, sub in enumerate(built.submissions):
                want = 200 if oracle.reads_submission(u, s) else 404
                for name in ("risk:submission", "risk:submission_xlsx"):
                    got = client.get(reverse(name, args=[sub.pk])).status_code
                    assert got == want, (who, name, spec.submissions[s])
            for f, report in enumerate(built.reports):
                want = 200 if oracle.reads_report(u, f) else 404
                for name in ("risk:feedback", "risk:feedback_xlsx", "risk:feedback_pdf"):
                    got = client.get(reverse(name, args=[report.pk])).status_code
                    assert got == want, (who, name, spec.reports[f])
            for o, org in enumerate(built.orgs):
                response = client.get(reverse("risk:organisation", args=[org.pk]))
                sees = oracle.assessor(u) or (spec.users[u].org == o and oracle.active(u))
                assert response.status_code == (200 if sees else 404), (who, o)
                if sees:
                    assert _links(response.content.decode(), "risk:feedback") == {
                        built.reports[f].pk for f, report in enumerate(spec.reports)
                        if report.org == o and oracle.reads_report(u, f)}, who
            catalogue = client.get(reverse("risk:catalogue_list")).status_code
            assert catalogue == (200 if oracle.assessor(u) else 404), who
        client.logout()

    in_random_worlds(PAGE_EXAMPLES, check)


@pytest.mark.django_db
def test_round_mails_reach_only_the_targets_admins():
    def check(spec: WorldSpec, built: Built) -> None:
        oracle = Oracle(spec)
        for r, the_round in enumerate(built.rounds):
            mail.outbox.clear()
            jobs.invite({"round": the_round.pk})
            from renkei.jobs.models import Job

            for job in Job.objects.filter(kind=jobs.MAIL, payload__round=the_round.pk):
                jobs.send(job.payload)
            Job.objects.all().delete()
            got = {m.to[0] for m in mail.outbox}
            want = {built.users[u].email for u in oracle.invited(r)} \
                if spec.rounds[r].state == "open" else set()
            assert got == want, (r, spec.rounds[r])

    in_random_worlds(15, check)


def test_the_oracle_says_what_the_issue_says():
    world = WorldSpec(
        orgs=[OrgSpec(CENTRE), OrgSpec("participant"), OrgSpec("participant")],
        users=[UserSpec(0, roles=frozenset({"risk_assessor"})),
               UserSpec(0, roles=frozenset({"commander"})), UserSpec(1, admin=True),
               UserSpec(2), UserSpec(1, active=False)],
        rounds=[RoundSpec("closed", frozenset({1, 2})), RoundSpec("planned", frozenset({1}))],
        submissions=[SubmissionSpec(0, 1, 1, SUBMITTED), SubmissionSpec(0, 1, 2, DRAFT)],
        reports=[ReportSpec(0, 1, False)],
    )
    oracle = Oracle(world)
    assert [oracle.reads_round(u, 1) for u in range(5)] == [True, False, False, False, False]
    assert [oracle.reads_submission(u, 0) for u in range(5)] == [True, False, True, False, False]
    assert [oracle.reads_submission(u, 1) for u in range(5)] == [False, False, True, False,
                                                                 False]
    assert [oracle.reads_report(u, 0) for u in range(5)] == [True, False, False, False, False]

"""Every write of risk assessment: the catalogue, rounds, submissions, feedback reports.

Each function takes the acting person, checks everything first (raising ServiceError with a
message in their language), then writes in one transaction with its audit entry. Who may do
what: the centre's risk assessors run rounds, edit the catalogue and write feedback
(`risk_visibility.may_manage_risk`); the people of a target organisation edit its draft while the
round is open, and its admins submit it.
"""

import json
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from renkei.accounts import audit
from renkei.accounts.models import Organisation, OrganisationKind, User
from renkei.errors import ServiceError
from renkei.jobs.queue import enqueue
from renkei.risk import pdca
from renkei.risk.catalogue import Catalogue, validate
from renkei.risk.catalogue_data import default_catalogue
from renkei.risk.feedback import Row, build_report, item_keys
from renkei.risk.models import (
    Approach,
    CatalogueVersion,
    FeedbackComment,
    FeedbackReport,
    Round,
    RoundTarget,
    Submission,
    SubmissionRow,
)
from renkei.risk.rows import clean_row
from renkei.sharing.risk_visibility import may_manage_risk

MAX_COMMENT = 4000


def _require_assessor(actor: User) -> None:
    if not may_manage_risk(actor):
        raise ServiceError(_("Only the centre's risk assessors may do this."))


# --- the catalogue ---------------------------------------------------------------------------

def ensure_catalogue() -> CatalogueVersion:
    """The newest published version; on a new installation, the shipped default as version 1."""
    published = CatalogueVersion.objects.filter(
        state=CatalogueVersion.State.PUBLISHED).order_by("-number").first()
    if published is not None:
        return published
    with transaction.atomic():
        number = (CatalogueVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
        return CatalogueVersion.objects.create(
            number=number, state=CatalogueVersion.State.PUBLISHED, data=default_catalogue(),
            note=_("The shipped default catalogue"), published_at=timezone.now())


def catalogue_of(version: CatalogueVersion) -> Catalogue:
    return Catalogue(version.data)


def start_catalogue_draft(*, actor: User) -> CatalogueVersion:
    """A new draft, copied from the newest published version (or the open draft if any)."""
    _require_assessor(actor)
    draft = CatalogueVersion.objects.filter(state=CatalogueVersion.State.DRAFT).first()
    if draft is not None:
        return draft
    base = ensure_catalogue()
    with transaction.atomic():
        number = CatalogueVersion.objects.aggregate(n=Max("number"))["n"] + 1
        draft = CatalogueVersion.objects.create(number=number, data=base.data,
                                                created_by=actor)
        audit.record(actor, "risk.catalogue.draft", draft, base=base.number)
    return draft


def edit_catalogue_draft(*, actor: User, version: CatalogueVersion, text: str,
                         note: str = "") -> CatalogueVersion:
    _require_assessor(actor)
    if version.state != CatalogueVersion.State.DRAFT:
        raise ServiceError(_("A published catalogue version cannot be changed; start a new "
                             "draft."))
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ServiceError(_("The catalogue is not valid JSON: %(error)s") % {"error": exc}) \
            from None
    errors = validate(data)
    if errors:
        raise ServiceError(errors[:30])
    with transaction.atomic():
        version.data = data
        version.note = note.strip()[:300]
        version.save(update_fields=["data", "note"])
        audit.record(actor, "risk.catalogue.edit", version)
    return version


def parse_covers(catalogue: Catalogue, text: str) -> list[dict]:
    """Where a risk source lands, one line per threat event: "E01 | 配送、遠隔操作 | A、I"
    (threat code or name | kill-chain phases, blank for threats without a kill chain | CIA)."""
    covers, errors = [], []
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            errors.append(_("Line %(n)d: write threat | phases | CIA.") % {"n": number})
            continue
        threat = catalogue.choice("threats", parts[0])
        phases, bad_phases = catalogue.parse_many("phases", parts[1])
        cia, bad_cia = catalogue.parse_many("cia", parts[2])
        if threat is None or bad_phases or bad_cia or not cia or (
                catalogue.uses_kill_chain(threat) and not phases):
            errors.append(_("Line %(n)d: a threat event of the catalogue, its kill-chain "
                            "phases (for external threats) and at least one CIA property are "
                            "needed.") % {"n": number})
            continue
        covers.append({"threat": threat,
                       "phases": phases if catalogue.uses_kill_chain(threat) else ["-"],
                       "cia": cia})
    if errors:
        raise ServiceError(errors)
    if not covers:
        raise ServiceError(_("Name at least one threat event the risk source covers."))
    return covers


def save_risk_source(*, actor: User, version: CatalogueVersion, code: str, ja: str, en: str,
                     covers: str) -> CatalogueVersion:
    """Add a risk source to a draft, or change the one with this code."""
    _require_assessor(actor)
    if version.state != CatalogueVersion.State.DRAFT:
        raise ServiceError(_("A published catalogue version cannot be changed; start a new "
                             "draft."))
    entry = {"code": code.strip(), "ja": ja.strip(), "en": en.strip(),
             "covers": parse_covers(Catalogue(version.data), covers)}
    data = json.loads(json.dumps(version.data))
    sources = data["risk_sources"]
    at = next((i for i, s in enumerate(sources) if s.get("code") == entry["code"]), None)
    if at is None:
        sources.append(entry)
    else:
        sources[at] = entry
    errors = validate(data)
    if errors:
        raise ServiceError(errors[:30])
    with transaction.atomic():
        version.data = data
        version.save(update_fields=["data"])
        audit.record(actor, "risk.catalogue.source", version, code=entry["code"])
    return version


def publish_catalogue(*, actor: User, version: CatalogueVersion) -> CatalogueVersion:
    _require_assessor(actor)
    if version.state != CatalogueVersion.State.DRAFT:
        raise ServiceError(_("This version is already published."))
    errors = validate(version.data)
    if errors:
        raise ServiceError(errors[:30])
    with transaction.atomic():
        version.state = CatalogueVersion.State.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["state", "published_at"])
        audit.record(actor, "risk.catalogue.publish", version)
    return version


# --- rounds ----------------------------------------------------------------------------------

def _target_organisations(sectors: list[str], organisation_ids: list[int]) -> list[int]:
    participants = Organisation.objects.filter(is_active=True,
                                               kind=OrganisationKind.PARTICIPANT)
    by_sector = participants.filter(sector__in=sectors).values_list("id", flat=True) \
        if sectors else []
    # Rounds are for the providers and venues (participants), not ministries or agencies.
    listed = set(participants.filter(pk__in=organisation_ids).values_list("id", flat=True))
    if len(listed) != len(set(organisation_ids)):
        raise ServiceError(_("Some of the chosen organisations cannot take part."))
    return sorted(set(by_sector) | listed)


def _check_round_fields(title: str, opens_on: date, closes_on: date, approach: str) -> None:
    if not title.strip():
        raise ServiceError(_("A title is needed."))
    if closes_on < opens_on:
        raise ServiceError(_("A round cannot close before it opens."))
    if approach not in Approach.values:
        raise ServiceError(_("Unknown approach."))


def create_round(*, actor: User, title: str, opens_on: date, closes_on: date,
                 approach: str = Approach.STANDARD, sectors: list[str] | None = None,
                 organisation_ids: list[int] | None = None,
                 number: int | None = None) -> Round:
    """A planned round; it pins the newest published catalogue version."""
    _require_assessor(actor)
    _check_round_fields(title, opens_on, closes_on, approach)
    sectors = sorted(set(sectors or []))
    targets = _target_organisations(sectors, list(organisation_ids or []))
    if not targets:
        raise ServiceError(_("Choose at least one target organisation (by sector or by name)."))
    catalogue = ensure_catalogue()
    with transaction.atomic():
        if number is None:
            number = (Round.objects.aggregate(n=Max("number"))["n"] or 0) + 1
        elif Round.objects.filter(number=number).exists():
            raise ServiceError(_("Round %(n)d already exists.") % {"n": number})
        created = Round.objects.create(
            number=number, title=title.strip(), opens_on=opens_on, closes_on=closes_on,
            approach=approach, catalogue=catalogue, target_sectors=sectors, created_by=actor)
        RoundTarget.objects.bulk_create(RoundTarget(round=created, organisation_id=o)
                                        for o in targets)
        audit.record(actor, "risk.round.create", created, targets=len(targets))
    return created


def update_round(*, actor: User, round: Round, title: str, opens_on: date, closes_on: date,
                 approach: str, sectors: list[str], organisation_ids: list[int]) -> Round:
    _require_assessor(actor)
    if round.state != Round.State.PLANNED:
        raise ServiceError(_("Only a planned round can be changed."))
    _check_round_fields(title, opens_on, closes_on, approach)
    sectors = sorted(set(sectors))
    targets = _target_organisations(sectors, organisation_ids)
    if not targets:
        raise ServiceError(_("Choose at least one target organisation (by sector or by name)."))
    with transaction.atomic():
        round.title, round.opens_on, round.closes_on = title.strip(), opens_on, closes_on
        round.approach, round.target_sectors = approach, sectors
        # A planned round takes the newest published catalogue; it is pinned when it opens.
        round.catalogue = ensure_catalogue()
        round.save()
        round.targets.exclude(organisation_id__in=targets).delete()
        have = set(round.targets.values_list("organisation_id", flat=True))
        RoundTarget.objects.bulk_create(RoundTarget(round=round, organisation_id=o)
                                        for o in targets if o not in have)
        audit.record(actor, "risk.round.update", round, targets=len(targets))
    return round


TRANSITIONS = {
    Round.State.PLANNED: Round.State.OPEN,
    Round.State.OPEN: Round.State.CLOSED,
    Round.State.CLOSED: Round.State.FEEDBACK_RELEASED,
}


def advance_round(*, actor: User, round: Round, to: str) -> Round:
    """planned → open (invitations go out), open → closed (feedback reports are computed),
    closed → feedback released (every report not yet released is released)."""
    _require_assessor(actor)
    if TRANSITIONS.get(round.state) != to:
        raise ServiceError(_("A round in state “%(state)s” cannot move to “%(to)s”.") % {
            "state": round.get_state_display(), "to": Round.State(to).label
            if to in Round.State.values else to})
    now = timezone.now()
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.state != round.state:
            raise ServiceError(_("Someone else has just changed this round; reload the page."))
        round.state = to
        if to == Round.State.OPEN:
            round.opened_at = now
            enqueue("risk.invite", {"round": round.pk}, dedupe_key=f"risk.invite:{round.pk}")
        elif to == Round.State.CLOSED:
            round.closed_at = now
        else:
            round.released_at = now
        round.save(update_fields=["state", "opened_at", "closed_at", "released_at"])
        if to == Round.State.CLOSED:
            generate_feedback(actor=actor, round=round)
        elif to == Round.State.FEEDBACK_RELEASED:
            for report in round.feedback_reports.filter(released_at__isnull=True):
                _release(actor, report, now)
        audit.record(actor, f"risk.round.{to}", round)
    return round


# --- submissions -----------------------------------------------------------------------------

def _require_participant(actor: User, round: Round) -> None:
    """The acting person belongs to a target organisation of this round."""
    if not (actor.is_active and actor.organisation.is_active
            and round.targets.filter(organisation_id=actor.organisation_id).exists()):
        raise ServiceError(_("Your organisation is not a target of this round."))


def _require_open(round: Round) -> None:
    if round.state != Round.State.OPEN:
        raise ServiceError(_("This round is not open: submissions are accepted from "
                             "%(opens)s to %(closes)s while the centre keeps it open.") % {
            "opens": round.opens_on.isoformat(), "closes": round.closes_on.isoformat()})


def require_editable(actor: User, submission: Submission) -> None:
    """The draft may be changed by this person now (its organisation, round open)."""
    if submission.organisation_id != actor.organisation_id:
        raise ServiceError(_("Only the organisation's own people may edit its assessment."))
    _require_participant(actor, submission.round)
    _require_open(submission.round)
    if not submission.is_draft:
        raise ServiceError(_("A submitted version is frozen; start a new version to change "
                             "it."))


def start_draft(*, actor: User, round: Round) -> Submission:
    """The organisation's draft for the round: the open one, or a new version copied from the
    newest version (rows and PDCA answers)."""
    _require_participant(actor, round)
    _require_open(round)
    organisation = actor.organisation
    with transaction.atomic():
        existing = Submission.objects.filter(round=round, organisation=organisation,
                                             state=Submission.State.DRAFT).first()
        if existing is not None:
            return existing
        latest = Submission.objects.filter(round=round, organisation=organisation) \
            .order_by("-version").first()
        pdca_answers = latest.pdca if latest else {}
        if latest is None:
            previous = _previous_submitted(round, organisation)
            pdca_answers = previous.pdca if previous else {}
        try:
            with transaction.atomic():
                draft = Submission.objects.create(
                    round=round, organisation=organisation,
                    version=(latest.version + 1) if latest else 1, pdca=pdca_answers,
                    created_by=actor)
        except IntegrityError:
            # Someone of the same organisation started one a moment ago: use theirs.
            return Submission.objects.get(round=round, organisation=organisation,
                                          state=Submission.State.DRAFT)
        if latest is not None:
            SubmissionRow.objects.bulk_create(
                SubmissionRow(submission=draft, **{f: getattr(r, f) for f in _ROW_FIELDS})
                for r in latest.rows.all())
        audit.record(actor, "risk.submission.start", draft, round=round.number,
                     version=draft.version)
    return draft


_ROW_FIELDS = ("position", "asset", "outcome", "threat", "risk_source", "phases", "cia",
               "existing_measures", "likelihood", "impact", "risk_level", "treatment")


def _clean(submission: Submission, raw: dict) -> dict:
    catalogue = catalogue_of(submission.round.catalogue)
    values, errors = clean_row(catalogue, submission.round.approach, raw)
    if errors:
        from renkei.risk.rows import FIELD_NAMES

        raise ServiceError([f"{FIELD_NAMES[field]}: {message}"
                            for field, message in errors.items()])
    return values


def add_row(*, actor: User, submission: Submission, raw: dict) -> SubmissionRow:
    require_editable(actor, submission)
    values = _clean(submission, raw)
    with transaction.atomic():
        position = (submission.rows.aggregate(n=Max("position"))["n"] or 0) + 1
        row = SubmissionRow.objects.create(submission=submission, position=position, **values)
        submission.save(update_fields=["updated_at"])
    return row


def update_row(*, actor: User, submission: Submission, row_id: int, raw: dict) -> SubmissionRow:
    require_editable(actor, submission)
    row = submission.rows.filter(pk=row_id).first()
    if row is None:
        raise ServiceError(_("That row is not in this draft."))
    values = _clean(submission, raw)
    with transaction.atomic():
        for field, value in values.items():
            setattr(row, field, value)
        row.save()
        submission.save(update_fields=["updated_at"])
    return row


def delete_row(*, actor: User, submission: Submission, row_id: int) -> None:
    require_editable(actor, submission)
    with transaction.atomic():
        if not submission.rows.filter(pk=row_id).delete()[0]:
            raise ServiceError(_("That row is not in this draft."))
        submission.save(update_fields=["updated_at"])


def replace_rows(*, actor: User, submission: Submission, rows: list[dict],
                 pdca_answers: dict | None = None, source: str = "xlsx") -> Submission:
    """All rows at once (an XLSX upload): already checked; written whole or not at all."""
    require_editable(actor, submission)
    with transaction.atomic():
        submission.rows.all().delete()
        SubmissionRow.objects.bulk_create(
            (SubmissionRow(submission=submission, position=i, **values)
             for i, values in enumerate(rows, start=1)), batch_size=1000)
        fields = ["updated_at"]
        if pdca_answers:
            submission.pdca = {**submission.pdca, **pdca_answers}
            fields.append("pdca")
        submission.save(update_fields=fields)
        audit.record(actor, "risk.submission.import", submission, rows=len(rows),
                     source=source)
    return submission


def set_pdca(*, actor: User, submission: Submission, answers: dict) -> Submission:
    require_editable(actor, submission)
    cleaned, wrong = pdca.clean(answers)
    if wrong:
        raise ServiceError(_("Choose a level from 0 to 4 for: %(items)s") % {
            "items": "、".join(wrong)})
    with transaction.atomic():
        submission.pdca = cleaned
        submission.save(update_fields=["pdca", "updated_at"])
    return submission


def submit(*, actor: User, submission: Submission) -> Submission:
    """Freeze the draft; from now on the centre reads it."""
    require_editable(actor, submission)
    if not actor.is_org_admin:
        raise ServiceError(_("Only an admin of your organisation may submit the assessment."))
    if not submission.rows.exists():
        raise ServiceError(_("An assessment needs at least one row."))
    with transaction.atomic():
        updated = Submission.objects.filter(pk=submission.pk, state=Submission.State.DRAFT) \
            .update(state=Submission.State.SUBMITTED, submitted_by=actor,
                    submitted_at=timezone.now())
        if not updated:
            raise ServiceError(_("This version has already been submitted."))
        submission.refresh_from_db()
        audit.record(actor, "risk.submission.submit", submission, round=submission.round.number,
                     version=submission.version, rows=submission.rows.count())
    return submission


# --- feedback --------------------------------------------------------------------------------

def _previous_submitted(round: Round, organisation) -> Submission | None:
    """The organisation's newest submitted version of an earlier round."""
    return Submission.objects.filter(
        organisation=organisation, state=Submission.State.SUBMITTED,
        round__number__lt=round.number,
    ).select_related("round__catalogue").order_by("-round__number", "-version").first()


def plain_rows(submission: Submission) -> list[Row]:
    return [Row(a, t, s, tuple(p), tuple(c)) for a, t, s, p, c in submission.rows.values_list(
        "asset", "threat", "risk_source", "phases", "cia").order_by("position")]


def _rows_of(submission_ids: list[int]) -> dict[int, list[Row]]:
    """Rows of many versions in one query."""
    rows: dict[int, list[Row]] = {i: [] for i in submission_ids}
    for sid, a, t, s, p, c in SubmissionRow.objects.filter(
            submission_id__in=submission_ids).order_by("submission_id", "position").values_list(
            "submission_id", "asset", "threat", "risk_source", "phases", "cia").iterator(
            chunk_size=5000):
        rows[sid].append(Row(a, t, s, tuple(p), tuple(c)))
    return rows


class _Reports:
    """Builds reports for many organisations of one round, sharing catalogues and what each
    sector's model case expects."""

    def __init__(self, round: Round):
        self.round = round
        self.catalogues: dict[int, Catalogue] = {}
        self.expected: dict[tuple, dict] = {}

    def catalogue(self, version: CatalogueVersion) -> Catalogue:
        if version.pk not in self.catalogues:
            self.catalogues[version.pk] = catalogue_of(version)
        return self.catalogues[version.pk]

    def build(self, organisation, submission: Submission, rows: list[Row],
              previous: Submission | None, previous_rows: list[Row] | None) -> dict:
        catalogue = self.catalogue(self.round.catalogue)
        key = (organisation.sector, self.round.approach)
        if key not in self.expected:
            self.expected[key] = catalogue.expected(*key)
        content = build_report(
            catalogue, organisation.sector, self.round.approach, rows,
            previous=(self.catalogue(previous.round.catalogue), previous_rows)
            if previous is not None else None, expected=self.expected[key])
        content["round"] = self.round.number
        content["version"] = submission.version
        content["previous_round"] = previous.round.number if previous else None
        content["previous_version"] = previous.version if previous else None
        return content


def compute_report(round: Round, organisation, submission: Submission) -> dict:
    """One organisation's report (generate_feedback does many at once)."""
    previous = _previous_submitted(round, organisation)
    return _Reports(round).build(organisation, submission, plain_rows(submission), previous,
                                 plain_rows(previous) if previous else None)


def generate_feedback(*, actor: User | None, round: Round,
                      organisation: Organisation | None = None) -> int:
    """Compute (again) the reports of a closed round for every organisation with a submitted
    version; released reports stay as they were. Returns how many were written.

    A few queries for the whole round, whatever the number of organisations: the newest
    submitted version of each, the newest submitted version of an earlier round of each, and
    the rows of all of them."""
    if actor is not None:
        _require_assessor(actor)
    if round.state not in (Round.State.CLOSED, Round.State.FEEDBACK_RELEASED):
        raise ServiceError(_("Feedback is computed once the round has closed."))
    with transaction.atomic():
        targets = Organisation.objects.filter(risk_round_targets__round=round)
        if organisation is not None:
            targets = targets.filter(pk=organisation.pk)
        organisations = {o.pk: o for o in targets}
        current: dict[int, Submission] = {}
        for sub in Submission.objects.filter(round=round, state=Submission.State.SUBMITTED,
                                             organisation_id__in=list(organisations)) \
                .order_by("organisation_id", "version"):
            current[sub.organisation_id] = sub
        previous: dict[int, Submission] = {}
        for sub in Submission.objects.filter(
                state=Submission.State.SUBMITTED, round__number__lt=round.number,
                organisation_id__in=list(current)).select_related("round__catalogue") \
                .order_by("organisation_id", "round__number", "version"):
            previous[sub.organisation_id] = sub
        reports = {r.organisation_id: r for r in FeedbackReport.objects.filter(
            round=round, organisation_id__in=list(current))}
        wanted = [o for o in current if not (o in reports and reports[o].is_released)]
        rows = _rows_of([current[o].pk for o in wanted]
                        + [previous[o].pk for o in wanted if o in previous])
        builder = _Reports(round)
        new, changed = [], []
        for org_id in wanted:
            sub, before = current[org_id], previous.get(org_id)
            content = builder.build(organisations[org_id], sub, rows[sub.pk], before,
                                    rows[before.pk] if before else None)
            if org_id in reports:
                report = reports[org_id]
                report.submission, report.content = sub, content
                changed.append(report)
            else:
                new.append(FeedbackReport(round=round, organisation_id=org_id, submission=sub,
                                          content=content))
        FeedbackReport.objects.bulk_create(new, batch_size=200)
        now = timezone.now()
        for report in changed:
            report.updated_at = now
        FeedbackReport.objects.bulk_update(changed, ["submission", "content", "updated_at"],
                                           batch_size=200)
        audit.record(actor, "risk.feedback.generate", round, reports=len(wanted))
        return len(wanted)


def comment_on(*, actor: User, report: FeedbackReport, item: str, body: str) -> None:
    """The centre's comment on one item of a report; an empty body removes it."""
    _require_assessor(actor)
    if item not in item_keys(report.content):
        raise ServiceError(_("That item is not in this report."))
    body = body.strip()
    if len(body) > MAX_COMMENT:
        raise ServiceError(_("A comment may be at most %(n)d characters.") % {"n": MAX_COMMENT})
    with transaction.atomic():
        if body:
            FeedbackComment.objects.update_or_create(
                report=report, item=item, defaults={"body": body, "author": actor})
        else:
            FeedbackComment.objects.filter(report=report, item=item).delete()
        report.save(update_fields=["updated_at"])
        audit.record(actor, "risk.feedback.comment", report, item=item)


def _release(actor: User, report: FeedbackReport, now) -> None:
    report.released_at, report.released_by = now, actor
    report.save(update_fields=["released_at", "released_by", "updated_at"])
    audit.record(actor, "risk.feedback.release", report, round=report.round.number,
                 organisation=report.organisation_id)
    enqueue("risk.feedback_released", {"report": report.pk},
            dedupe_key=f"risk.feedback_released:{report.pk}")


def release_feedback(*, actor: User, report: FeedbackReport) -> FeedbackReport:
    _require_assessor(actor)
    if report.is_released:
        raise ServiceError(_("This report has already been released."))
    if report.round.state not in (Round.State.CLOSED, Round.State.FEEDBACK_RELEASED):
        raise ServiceError(_("Feedback is released once the round has closed."))
    with transaction.atomic():
        _release(actor, report, timezone.now())
    return report

"""Every write of the situation work: AM/PM reports, sanitised summaries, daily bulletins.

Each function validates first and writes in one transaction with its audit entry, so a refused
request changes nothing. Topics are posted through `communities.services.post_topic`.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from renkei.accounts import audit
from renkei.accounts.models import OrganisationKind, User
from renkei.communities import services as community_services
from renkei.communities.models import (
    Community,
    CommunityKind,
    InformationKind,
    ReaderLevel,
    TopicTag,
)
from renkei.errors import ServiceError
from renkei.incidents.models import (
    FINISHED_STATES,
    Case,
    CaseEvent,
    CaseState,
    PublicExposure,
)
from renkei.sharing import passing
from renkei.sharing.models import LIVE_ENVIRONMENT_ID, TLP
from renkei.situation.directory import sanitiser_for
from renkei.situation.models import (
    DailyBulletin,
    EscalationReport,
    OrganisationAlias,
    SanitisedSummary,
)
from renkei.situation.permissions import may_use_situation

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
MAX_PERIOD = timedelta(days=92)
TEXT_MAX = 20_000
EXCERPT = 400
# Clocks differ a little; an "until" a moment ahead of the server is still "now".
CLOCK_SKEW = timedelta(minutes=5)


def _require(actor) -> None:
    if actor is not None and not may_use_situation(actor):
        raise ServiceError(_("Only the centre's incident staff may do this."))


def check_period(start: datetime | None, end: datetime | None, now=None) -> None:
    now = now or timezone.now()
    if start is None or end is None:
        raise ServiceError(_("Give the start and the end of the period."))
    if end <= start:
        raise ServiceError(_("The end of the period must be after its start."))
    if end - start > MAX_PERIOD:
        raise ServiceError(_("A period may cover at most %(days)d days.")
                           % {"days": MAX_PERIOD.days})
    if end > now + CLOCK_SKEW:
        raise ServiceError(_("The period must not end in the future."))


def live_cases() -> QuerySet:
    """Every case of the live environment: what the schedule reports on (no person asks)."""
    return Case.objects.filter(report__topic__community__environment_id=LIVE_ENVIRONMENT_ID)


# --- AM/PM reports ---------------------------------------------------------------------------

def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _excerpt(text: str) -> str:
    text = (text or "").strip()
    return text if len(text) <= EXCERPT else text[:EXCERPT].rstrip() + "…"


def escalated_in_period(cases: QuerySet, start: datetime, end: datetime) -> QuerySet:
    """Escalated cases opened or changed in [start, end); a case escalated then and withdrawn
    since is listed as well."""
    events = CaseEvent.objects.filter(case=OuterRef("pk"), at__gte=start, at__lt=end)
    changed = Exists(events)
    escalated_then = Exists(events.filter(kind=CaseEvent.Kind.ESCALATION))
    return cases.filter(
        (Q(escalated=True) | escalated_then)
        & (Q(opened_at__gte=start, opened_at__lt=end) | changed)
        & Q(opened_at__lt=end)
    )


def escalation_content(cases: QuerySet, start: datetime, end: datetime) -> dict:
    """The frozen snapshot of one AM/PM report (JSON only)."""
    rows = list(
        escalated_in_period(cases, start, end)
        .select_related("organisation", "classification", "assignee", "report")
        .order_by("opened_at", "id")
    )
    events: dict[int, list[dict]] = {}
    for event in (CaseEvent.objects.filter(case__in=[c.pk for c in rows], at__gte=start,
                                           at__lt=end).order_by("at", "id")):
        events.setdefault(event.case_id, []).append({
            "at": _iso(event.at), "kind": event.kind, "old": event.old, "new": event.new,
            "text": event.text,
        })
    listed = []
    for case in rows:
        is_new = start <= case.opened_at < end
        klass = case.classification
        listed.append({
            "id": case.pk, "reference": case.reference, "title": case.title,
            "organisation": case.organisation.name, "sector": case.organisation.sector,
            "report_kind": case.report.kind,
            "classification": {"ja": klass.name_ja, "en": klass.name_en} if klass else None,
            "severity": case.severity, "state": case.state,
            "affects_event": case.affects_event, "public_exposure": case.public_exposure,
            "escalated": case.escalated,
            "opened_at": _iso(case.opened_at), "first_response_at": _iso(case.first_response_at),
            "closed_at": _iso(case.closed_at),
            "assignee": case.assignee.name if case.assignee else "",
            "is_new": is_new, "changes": events.get(case.pk, []),
            "what_happened": _excerpt(case.report.what_happened),
            "current_state": _excerpt(case.report.current_state),
        })
    by_state: dict[str, int] = {}
    for row in listed:
        by_state[row["state"]] = by_state.get(row["state"], 0) + 1
    return {
        "version": 1,
        "period": {"start": _iso(start), "end": _iso(end)},
        "counts": {
            "total": len(listed),
            "new": sum(1 for r in listed if r["is_new"]),
            "changed": sum(1 for r in listed if not r["is_new"]),
            "affects_event": sum(1 for r in listed if r["affects_event"] in {"yes", "possible"}),
            "public": sum(1 for r in listed if r["public_exposure"] != PublicExposure.NO),
            "open": sum(1 for r in listed if r["state"] not in FINISHED_STATES),
            "by_state": by_state,
        },
        "cases": listed,
    }


def generate_escalation_report(*, actor: User | None, start: datetime, end: datetime,
                               now=None) -> EscalationReport:
    """On demand (actor: a case handler, reporting on the cases they read) or by the schedule
    (actor None: every live case; one report per slot)."""
    now = now or timezone.now()
    _require(actor)
    check_period(start, end, now)
    scheduled = actor is None
    if scheduled and EscalationReport.objects.filter(scheduled=True, period_end=end).exists():
        return EscalationReport.objects.get(scheduled=True, period_end=end)
    cases = live_cases() if scheduled else _centre_cases(actor)
    content = escalation_content(cases, start, end)
    try:
        with transaction.atomic():
            report = EscalationReport.objects.create(
                period_start=start, period_end=end, generated_at=now, generated_by=actor,
                scheduled=scheduled, case_count=content["counts"]["total"], content=content,
            )
            audit.record(actor, "situation.escalation_report", report,
                         start=_iso(start), end=_iso(end), cases=report.case_count,
                         scheduled=scheduled)
    except IntegrityError:
        # Two workers made the same slot at once: the other one's report stands.
        return EscalationReport.objects.get(scheduled=True, period_end=end)
    return report


def _centre_cases(user) -> QuerySet:
    from renkei.incidents.selectors import centre_cases

    return centre_cases(user)


def record_download(actor: User, report: EscalationReport, fmt: str, ip_address=None) -> None:
    audit.record(actor, "situation.escalation_report.download", report, fmt=fmt,
                 ip_address=ip_address)


# --- sanitised summaries ---------------------------------------------------------------------

def draft_from_case(case: Case) -> tuple[str, str]:
    """A first title and text for a summary, from the report (the centre rewrites it)."""
    report = case.report
    klass = case.classification.name_ja if case.classification else ""
    title = f"{klass}に関する事案の共有" if klass else f"事案の共有：{case.title}"
    parts = [f"## 概要\n{report.what_happened.strip()}"]
    if report.affected_systems.strip():
        parts.append(f"## 影響を受けたサービス・システム\n{report.affected_systems.strip()}")
    if report.current_state.strip():
        parts.append(f"## 現在の状況と対応\n{report.current_state.strip()}")
    parts.append("## 参考にしていただきたい点\n（対処調整センターが追記）")
    return title[:200], "\n\n".join(parts)


def _clean_text(value: str, label: str, *, limit: int = TEXT_MAX, required=True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(_("%(field)s is required.") % {"field": label})
    if len(value) > limit:
        raise ServiceError(_("%(field)s may have at most %(max)d characters.")
                           % {"field": label, "max": limit})
    return value


def create_summary(*, actor: User, case: Case, title: str, draft: str,
                   extra_terms: str = "", now=None) -> SanitisedSummary:
    _require(actor)
    now = now or timezone.now()
    title = _clean_text(title, _("Title"), limit=200)
    draft = _clean_text(draft, _("Draft"))
    extra_terms = _clean_text(extra_terms, _("Further strings to remove"), limit=5000,
                              required=False)
    sanitiser = sanitiser_for(case, extra_terms)
    with transaction.atomic():
        summary = SanitisedSummary.objects.create(
            case=case, title=sanitiser.run(title).text[:200], draft=draft,
            sanitised=sanitiser.run(draft).text, extra_terms=extra_terms, created_by=actor,
            created_at=now, updated_at=now,
        )
        audit.record(actor, "situation.summary.create", summary, case=case.pk)
    return summary


def _check_version(summary: SanitisedSummary, version: int | None) -> None:
    if version is not None and int(version) != summary.version:
        raise ServiceError(_("Someone changed this summary in the meantime; reload the page "
                             "and make your change again."))


def update_summary(*, actor: User, summary: SanitisedSummary, title: str, sanitised: str,
                   extra_terms: str | None = None, draft: str | None = None,
                   resanitise: bool = False, version: int | None = None,
                   now=None) -> SanitisedSummary:
    """The centre corrects the sanitised text (or the draft, and runs the sanitiser again).
    Any change sends a reviewed summary back to draft: the review covers one exact text."""
    _require(actor)
    if summary.state == SanitisedSummary.State.PUBLISHED:
        raise ServiceError(_("This summary has been published and can no longer be changed."))
    now = now or timezone.now()
    title = _clean_text(title, _("Title"), limit=200)
    extra = summary.extra_terms if extra_terms is None else _clean_text(
        extra_terms, _("Further strings to remove"), limit=5000, required=False)
    new_draft = summary.draft if draft is None else _clean_text(draft, _("Draft"))
    if resanitise:
        sanitiser = sanitiser_for(summary.case, extra)
        title, sanitised = sanitiser.run(title).text[:200], sanitiser.run(new_draft).text
    else:
        sanitised = _clean_text(sanitised, _("Sanitised text"))
    with transaction.atomic():
        locked = SanitisedSummary.objects.select_for_update().get(pk=summary.pk)
        _check_version(locked, version)
        changed = (title, sanitised, extra, new_draft) != (
            locked.title, locked.sanitised, locked.extra_terms, locked.draft)
        if not changed:
            return locked
        locked.title, locked.sanitised, locked.extra_terms, locked.draft = (
            title, sanitised, extra, new_draft)
        locked.state = SanitisedSummary.State.DRAFT
        locked.reviewed_by, locked.reviewed_at = None, None
        locked.updated_at = now
        locked.version += 1
        locked.save()
        audit.record(actor, "situation.summary.edit", locked, resanitised=resanitise)
    return locked


def remaining_identifiers(summary: SanitisedSummary):
    """What the sanitiser still finds in the corrected title and text (should be nothing)."""
    sanitiser = sanitiser_for(summary.case, summary.extra_terms)
    return sanitiser.run(f"{summary.title}\n{summary.sanitised}")


def _refuse_if_identifying(summary: SanitisedSummary) -> None:
    left = remaining_identifiers(summary)
    if left.replacements:
        raise ServiceError(
            _("The sanitised text still contains strings that identify the victim: %(found)s. "
              "Remove them and review again.") % {"found": "、".join(left.found[:10])})


def review_summary(*, actor: User, summary: SanitisedSummary, confirmed: bool,
                   version: int | None = None, now=None) -> SanitisedSummary:
    """The centre confirms it has read the sanitised text against the original."""
    _require(actor)
    if not confirmed:
        raise ServiceError(_("Confirm that you have compared the sanitised text with the "
                             "original and that it does not identify the victim."))
    if summary.state != SanitisedSummary.State.DRAFT:
        raise ServiceError(_("Only a draft can be reviewed."))
    _refuse_if_identifying(summary)
    now = now or timezone.now()
    with transaction.atomic():
        locked = SanitisedSummary.objects.select_for_update().get(pk=summary.pk)
        _check_version(locked, version)
        if locked.state != SanitisedSummary.State.DRAFT:
            raise ServiceError(_("Only a draft can be reviewed."))
        locked.state = SanitisedSummary.State.REVIEWED
        locked.reviewed_by, locked.reviewed_at = actor, now
        locked.version += 1
        locked.save()
        audit.record(actor, "situation.summary.review", locked)
    return locked


@dataclass(frozen=True)
class Publication:
    """Where and how a summary or bulletin goes out (chosen when it is published)."""

    communities: tuple[Community, ...]
    tlp: str = TLP.GREEN
    reader_level: str = ReaderLevel.GENERAL
    tag: str = ""


def broadcast_communities() -> QuerySet:
    return Community.objects.filter(kind=CommunityKind.BROADCAST, is_archived=False,
                                    environment_id=LIVE_ENVIRONMENT_ID).order_by("id")


def _check_publication(publication: Publication, author: User) -> None:
    if not publication.communities:
        raise ServiceError(_("Choose at least one broadcast community."))
    allowed = set(broadcast_communities().values_list("pk", flat=True))
    if any(c.pk not in allowed for c in publication.communities):
        raise ServiceError(_("Summaries and bulletins go to the broadcast communities only."))
    try:
        tlp = TLP.parse(publication.tlp or "")
    except ValueError as exc:
        raise ServiceError(_("Unknown TLP marking.")) from exc
    # What leaves the consultation window, through the one way out: the centre's reviewed
    # text (or counts), now passed on from the centre to every organisation.
    summary = passing.Item(tlp=tlp, readers=passing.Readers.organisation(author.organisation_id),
                           origin_organisation_id=author.organisation_id,
                           environment_id=LIVE_ENVIRONMENT_ID, from_consultation=True)
    passing.check(summary, passing.Destination(
        kind=passing.Kind.SITUATION, readers=passing.Readers.everyone(),
        environment_id=LIVE_ENVIRONMENT_ID, sanitised_summary=True),
        actor_organisation_id=author.organisation_id)
    if publication.reader_level not in ReaderLevel.values:
        raise ServiceError(_("Unknown reader level."))
    if (publication.tag or "") not in TopicTag.values:
        raise ServiceError(_("Unknown tag."))


def publish_summary(*, actor: User, summary: SanitisedSummary, publication: Publication,
                    version: int | None = None, now=None) -> SanitisedSummary:
    """Post the reviewed text as an incident topic in each chosen broadcast community; the
    sanitiser runs once more on the exact text that goes out."""
    _require(actor)
    if summary.state == SanitisedSummary.State.PUBLISHED:
        raise ServiceError(_("This summary has already been published."))
    if summary.state != SanitisedSummary.State.REVIEWED:
        raise ServiceError(_("A summary is published only after its review: compare the "
                             "sanitised text with the original and confirm the review first."))
    _check_publication(publication, actor)
    _refuse_if_identifying(summary)
    now = now or timezone.now()
    with transaction.atomic():
        locked = SanitisedSummary.objects.select_for_update().get(pk=summary.pk)
        _check_version(locked, version)
        if locked.state != SanitisedSummary.State.REVIEWED:
            raise ServiceError(_("A summary is published only after its review: compare the "
                                 "sanitised text with the original and confirm the review "
                                 "first."))
        topics = [
            community_services.post_topic(
                actor=actor, community=community, title=locked.title, body=locked.sanitised,
                kind=InformationKind.INCIDENT, tag=publication.tag,
                reader_level=publication.reader_level, tlp=publication.tlp, now=now,
            )
            for community in publication.communities
        ]
        locked.topics.add(*topics)
        locked.state = SanitisedSummary.State.PUBLISHED
        locked.published_by, locked.published_at = actor, now
        locked.version += 1
        locked.save()
        audit.record(actor, "situation.summary.publish", locked,
                     topics=[t.public_id for t in topics], tlp=publication.tlp)
    return locked


def add_alias(*, actor: User, organisation, alias: str) -> OrganisationAlias:
    _require(actor)
    alias = _clean_text(alias, _("Alias"), limit=200)
    if organisation.kind == OrganisationKind.CENTRE:
        raise ServiceError(_("The centre's own name is not removed; it needs no alias."))
    if OrganisationAlias.objects.filter(organisation=organisation, alias=alias).exists():
        raise ServiceError(_("This alias is already known."))
    with transaction.atomic():
        created = OrganisationAlias.objects.create(organisation=organisation, alias=alias)
        audit.record(actor, "situation.alias.add", organisation, alias=alias)
    return created


def remove_alias(*, actor: User, alias: OrganisationAlias) -> None:
    _require(actor)
    with transaction.atomic():
        audit.record(actor, "situation.alias.remove", alias.organisation, alias=alias.alias)
        alias.delete()


# --- daily bulletins -------------------------------------------------------------------------

def bulletin_content(cases: QuerySet, start: datetime, end: datetime) -> dict:
    """Counts by class and state, and the notable cases told only through their reviewed or
    published summaries (never the case's own text). A summary the sanitiser still finds
    something in is left out."""
    from renkei.incidents.models import Classification

    classes = {c.pk: c.name_ja for c in Classification.objects.all()}
    new_cases = cases.filter(opened_at__gte=start, opened_at__lt=end)
    by_class: dict[str, int] = {}
    for klass_id in new_cases.values_list("classification_id", flat=True):
        name = classes.get(klass_id, "未分類")
        by_class[name] = by_class.get(name, 0) + 1
    order = {name: i for i, name in enumerate(classes.values())}
    by_class = dict(sorted(by_class.items(), key=lambda kv: order.get(kv[0], len(order))))
    by_state = {state: 0 for state in CaseState.values}
    for state in cases.filter(opened_at__lt=end).values_list("state", flat=True):
        by_state[state] += 1
    notable, held_back = [], 0
    summaries = (SanitisedSummary.objects
                 .filter(case__in=cases.values("pk"),
                         state__in=[SanitisedSummary.State.REVIEWED,
                                    SanitisedSummary.State.PUBLISHED])
                 .filter(Q(reviewed_at__gte=start, reviewed_at__lt=end)
                         | Q(published_at__gte=start, published_at__lt=end))
                 .select_related("case__report").order_by("reviewed_at", "id"))
    for summary in summaries:
        if remaining_identifiers(summary).replacements:
            held_back += 1
            continue
        notable.append({"summary": summary.pk, "title": summary.title,
                        "text": summary.sanitised})
    return {
        "version": 1,
        "period": {"start": _iso(start), "end": _iso(end)},
        "new": new_cases.count(),
        "by_class": by_class,
        "by_state": {k: v for k, v in by_state.items() if v},
        "notable": notable,
        "held_back": held_back,
    }


def _state_ja(state: str) -> str:
    with translation.override("ja"):
        return str(CaseState(state).label) if state in CaseState.values else state


def bulletin_text(content: dict, day) -> tuple[str, str]:
    """The bulletin as all participants read it: Japanese, the platform's first language."""
    title = f"【日報】対処調整センター活動状況（{day.month}月{day.day}日）"
    lines = [
        f"{day.month}月{day.day}日の対処調整センターの活動状況をお知らせします。",
        "",
        "## 本日の報告・相談",
        f"新たに受け付けた報告・相談：{content['new']}件",
        "",
    ]
    if content["by_class"]:
        lines += ["| 分類 | 件数 |", "|---|---:|"]
        lines += [f"| {name} | {count} |" for name, count in content["by_class"].items()]
        lines.append("")
    lines += ["## 対応状況（全事案）"]
    if content["by_state"]:
        lines += ["| 状態 | 件数 |", "|---|---:|"]
        lines += [f"| {_state_ja(state)} | {count} |"
                  for state, count in content["by_state"].items()]
    else:
        lines.append("対応中の事案はありません。")
    lines += ["", "## 主な事案（被害組織を特定できる情報は除いています）"]
    if content["notable"]:
        for item in content["notable"]:
            lines += ["", f"### {item['title']}", "", item["text"]]
    else:
        lines.append("共有すべき事案はありません。")
    lines += ["", "ご不明な点は、そうだんの窓口までお寄せください。"]
    return title, "\n".join(lines)


def bulletin_period(now: datetime) -> tuple[datetime, datetime]:
    """Since the last bulletin (at most a day back), until now."""
    last = DailyBulletin.objects.order_by("-period_end").values_list("period_end", flat=True)
    start = last.first()
    if start is None or start >= now or now - start > timedelta(days=1):
        start = now - timedelta(days=1)
    return start, now


def preview_bulletin(cases: QuerySet, now=None) -> dict:
    now = now or timezone.now()
    start, end = bulletin_period(now)
    content = bulletin_content(cases, start, end)
    day = timezone.localtime(end, TOKYO).date()
    title, body = bulletin_text(content, day)
    return {"title": title, "body": body, "content": content, "start": start, "end": end,
            "day": day}


def default_bulletin_communities() -> list[Community]:
    """The communities named in settings (by name), else every broadcast community."""
    names = list(getattr(settings, "SITUATION_BULLETIN_COMMUNITIES", []) or [])
    communities = broadcast_communities()
    if names:
        communities = communities.filter(name__in=names)
    return list(communities)


def schedule_author() -> User | None:
    """Who signs the scheduled bulletin: the setting's e-mail, else the centre's first admin."""
    email = getattr(settings, "SITUATION_BULLETIN_AUTHOR", "")
    people = User.objects.filter(is_active=True, organisation__is_active=True,
                                 organisation__kind=OrganisationKind.CENTRE)
    if email:
        return people.filter(email=email.lower()).first()
    return people.filter(is_org_admin=True).order_by("pk").first() or people.order_by(
        "pk").first()


def publish_bulletin(*, actor: User | None, publication: Publication | None = None,
                     now=None) -> DailyBulletin:
    """On demand (a case handler) or by the schedule (actor None: once a day, signed by
    `schedule_author`, to `default_bulletin_communities`)."""
    _require(actor)
    now = now or timezone.now()
    scheduled = actor is None
    author = actor or schedule_author()
    if author is None:
        raise ServiceError(_("There is nobody in the centre to sign the bulletin."))
    publication = publication or Publication(tuple(default_bulletin_communities()))
    _check_publication(publication, author)
    cases = live_cases() if scheduled else _centre_cases(actor)
    preview = preview_bulletin(cases, now)
    day = preview["day"]
    if scheduled and DailyBulletin.objects.filter(scheduled=True, day=day).exists():
        return DailyBulletin.objects.get(scheduled=True, day=day)
    try:
        with transaction.atomic():
            topics = [
                community_services.post_topic(
                    actor=author, community=community, title=preview["title"],
                    body=preview["body"], kind=InformationKind.INCIDENT, tag=publication.tag,
                    reader_level=publication.reader_level, tlp=publication.tlp, now=now,
                )
                for community in publication.communities
            ]
            bulletin = DailyBulletin.objects.create(
                day=day, period_start=preview["start"], period_end=preview["end"],
                title=preview["title"], body=preview["body"], content=preview["content"],
                scheduled=scheduled, published_by=actor, published_at=now,
            )
            bulletin.topics.add(*topics)
            audit.record(actor, "situation.bulletin.publish", bulletin,
                         topics=[t.public_id for t in topics], scheduled=scheduled)
    except IntegrityError:
        return DailyBulletin.objects.get(scheduled=True, day=day)
    return bulletin

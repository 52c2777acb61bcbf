"""Every write to communities, memberships, topics, comments, attachments and acknowledgements.

Each function validates first, then writes in one transaction with its audit entry, so a refused
request changes nothing.
"""

from contextlib import contextmanager
from datetime import date

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from renkei.accounts import audit
from renkei.accounts.models import Organisation, OrganisationKind, User
from renkei.communities import search_index
from renkei.communities.attachments import check_upload
from renkei.communities.audiences import (
    audience_readers,
    community_destination,
    passes_anywhere,
    topic_item,
)
from renkei.communities.models import (
    Acknowledgement,
    Attachment,
    Comment,
    Community,
    CommunityKind,
    DailySequence,
    InformationKind,
    Membership,
    ReaderLevel,
    Topic,
    TopicAudienceOrganisation,
    TopicAudienceUser,
    TopicRevision,
    TopicTag,
)
from renkei.errors import ServiceError
from renkei.notifications.jobs import notify_comment, notify_topic
from renkei.sharing import passing, permissions
from renkei.sharing.models import LIVE_ENVIRONMENT_ID, TLP, AudienceMode
from renkei.text import render_markdown

TITLE_MAX = 200
BODY_MAX = 100_000
COMMENT_MAX = 20_000
NOTIFICATION_CHANNEL_NAME = "観測情報等通知用（{name}）"


# --- communities -----------------------------------------------------------------------------

def open_notification_channel(organisation: Organisation) -> Community:
    """The private channel for observation notices to one organisation (and the centre)."""
    owner = organisation if organisation.is_centre else _centre_or(organisation)
    return Community.objects.create(
        kind=CommunityKind.NOTIFICATION,
        name=NOTIFICATION_CHANNEL_NAME.format(name=organisation.name),
        description="",
        owner_organisation=owner,
        notified_organisation=organisation,
    )


def _centre_or(fallback: Organisation) -> Organisation:
    return Organisation.objects.filter(kind=OrganisationKind.CENTRE).order_by("id").first() or (
        fallback
    )


def create_community(
    *, actor: User | None, name: str, kind: str, description: str = "",
    owner: Organisation | None = None, environment_id: int = LIVE_ENVIRONMENT_ID,
) -> Community:
    """Organisation admins create open and closed communities; the centre the fixed kinds."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ServiceError(_("A community name of 1 to 200 characters is required."))
    if kind not in CommunityKind.values or kind == CommunityKind.NOTIFICATION:
        raise ServiceError(_("This kind of community cannot be created here."))
    owner = owner or (actor.organisation if actor else None)
    if owner is None:
        raise ServiceError(_("A community needs an owning organisation."))
    if actor is not None:
        if kind in {CommunityKind.OPEN, CommunityKind.CLOSED}:
            if not (actor.is_org_admin or actor.is_platform_admin):
                raise ServiceError(_("Only organisation admins may create communities."))
            if owner != actor.organisation and not actor.is_platform_admin:
                raise ServiceError(_("You may only create communities for your organisation."))
        elif not (actor.is_centre_staff and (actor.is_org_admin or actor.is_platform_admin)):
            raise ServiceError(_("Only the centre's admins may create this kind of community."))
    if Community.objects.filter(environment_id=environment_id, name=name).exists():
        raise ServiceError(_("A community named %(name)s already exists.") % {"name": name})
    with transaction.atomic():
        community = Community.objects.create(
            environment_id=environment_id, kind=kind, name=name,
            description=(description or "").strip(), owner_organisation=owner,
        )
        if kind in {CommunityKind.OPEN, CommunityKind.CLOSED}:
            Membership.objects.create(community=community, organisation=owner)
            if actor is not None:
                Membership.objects.create(community=community, user=actor, is_manager=True)
        audit.record(actor, "community.create", community, kind=kind, owner=owner.name)
    return community


def join_community(*, actor: User, community: Community) -> Membership:
    """Open: join at once. Closed: ask to join; a manager approves."""
    if community.kind not in {CommunityKind.OPEN, CommunityKind.CLOSED}:
        raise ServiceError(_("Everyone already reads this community; there is nothing to join."))
    existing = Membership.objects.filter(community=community, user=actor).first()
    if existing is not None and existing.state == Membership.State.ACTIVE:
        raise ServiceError(_("You are already a member of this community."))
    state = (
        Membership.State.ACTIVE if community.kind == CommunityKind.OPEN
        else Membership.State.REQUESTED
    )
    if existing is not None and existing.state == Membership.State.INVITED:
        state = Membership.State.ACTIVE
    with transaction.atomic():
        membership, _created = Membership.objects.update_or_create(
            community=community, user=actor, defaults={"state": state}
        )
        audit.record(actor, f"community.join.{state}", community)
    return membership


def leave_community(*, actor: User, community: Community) -> None:
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(community=community, user=actor).delete()
        if not deleted:
            raise ServiceError(_("You are not a member of this community in person."))
        audit.record(actor, "community.leave", community)


def add_member(
    *, actor: User, community: Community, organisation: Organisation | None = None,
    user: User | None = None, is_manager: bool = False, invite: bool = False,
) -> Membership:
    """A manager adds (or invites) a whole organisation or one person."""
    if not permissions.can_manage_community(actor, community):
        raise ServiceError(_("Only the managers of this community may change its members."))
    if community.kind not in {CommunityKind.OPEN, CommunityKind.CLOSED}:
        raise ServiceError(_("The members of this community are fixed."))
    if (organisation is None) == (user is None):
        raise ServiceError(_("Choose either an organisation or a person."))
    if is_manager and user is None:
        raise ServiceError(_("Only a person can be a manager of a community."))
    state = Membership.State.INVITED if invite else Membership.State.ACTIVE
    with transaction.atomic():
        membership, _created = Membership.objects.update_or_create(
            community=community, organisation=organisation, user=user,
            defaults={"state": state, "is_manager": is_manager},
        )
        audit.record(actor, "community.member_add", community,
                     organisation=getattr(organisation, "name", None),
                     user=getattr(user, "email", None), state=state)
    return membership


def approve_member(*, actor: User, membership: Membership) -> Membership:
    if not permissions.can_manage_community(actor, membership.community):
        raise ServiceError(_("Only the managers of this community may change its members."))
    if membership.state != Membership.State.REQUESTED:
        raise ServiceError(_("This request has already been handled."))
    with transaction.atomic():
        membership.state = Membership.State.ACTIVE
        membership.save(update_fields=["state"])
        audit.record(actor, "community.member_approve", membership.community,
                     user=getattr(membership.user, "email", None))
    return membership


def remove_member(*, actor: User, membership: Membership) -> None:
    community = membership.community
    if not permissions.can_manage_community(actor, community):
        raise ServiceError(_("Only the managers of this community may change its members."))
    if membership.organisation_id == community.owner_organisation_id:
        raise ServiceError(_("The owning organisation cannot be removed from its community."))
    with transaction.atomic():
        membership.delete()
        audit.record(actor, "community.member_remove", community,
                     organisation=getattr(membership.organisation, "name", None),
                     user=getattr(membership.user, "email", None))


# --- topics ----------------------------------------------------------------------------------

def next_topic_id(day: date) -> str:
    """`YYYYMMDD-NNNNNN`: one atomic upsert, so concurrent posts never share a number."""
    table = DailySequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        number = cursor.fetchone()[0]
    return f"{day:%Y%m%d}-{number:06d}"


def _clean_topic_fields(*, title, tag, kind, reader_level, tlp) -> dict:
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("A title is required."))
    if len(title) > TITLE_MAX:
        raise ServiceError(
            _("A title may have at most %(max)d characters (this one has %(n)d).")
            % {"max": TITLE_MAX, "n": len(title)}
        )
    if (tag or "") not in TopicTag.values:
        raise ServiceError(_("Unknown tag."))
    if kind not in InformationKind.values:
        raise ServiceError(_("Choose one of the eight kinds of information."))
    if reader_level not in ReaderLevel.values:
        raise ServiceError(_("Unknown reader level."))
    try:
        tlp = TLP.parse(tlp or "")
    except ValueError as exc:
        raise ServiceError(_("Unknown TLP marking.")) from exc
    return {"title": title, "tag": tag or "", "kind": kind, "reader_level": reader_level,
            "tlp": tlp}


def _clean_body(body: str, limit: int = BODY_MAX) -> str:
    body = body or ""
    if len(body) > limit:
        raise ServiceError(_("The text may have at most %(max)d characters.") % {"max": limit})
    return body


def _audience_members(community: Community) -> tuple[set[int], set[int]] | None:
    """Organisation and user ids that may be named in a chosen audience; None: anyone."""
    if community.kind in {CommunityKind.OPEN, CommunityKind.CLOSED}:
        memberships = Membership.objects.filter(community=community, state=Membership.State.ACTIVE)
        org_ids = {m.organisation_id for m in memberships if m.organisation_id}
        user_ids = {m.user_id for m in memberships if m.user_id}
        return org_ids, user_ids
    if community.kind == CommunityKind.NOTIFICATION:
        centre_ids = set(Organisation.objects.filter(kind=OrganisationKind.CENTRE)
                         .values_list("id", flat=True))
        return {community.notified_organisation_id, *centre_ids}, set()
    return None


def audience_candidates(community: Community) -> tuple[set[int], set[int]] | None:
    """What a chosen audience may name here (organisation ids, user ids); None: anyone.

    Forms offer exactly these, so the choice lists and `_check_audience` never disagree.
    """
    return _audience_members(community)


def _check_audience(community, audience_mode, organisations, users, tlp) -> None:
    if audience_mode not in AudienceMode.values:
        raise ServiceError(_("Unknown audience."))
    if audience_mode == AudienceMode.MEMBERS:
        if tlp == TLP.RED:
            raise ServiceError(_("TLP:RED is for named recipients only: choose the "
                                 "organisations or people who may read it."))
        return
    if not organisations and not users:
        raise ServiceError(_("Choose at least one organisation or person for the audience."))
    allowed = _audience_members(community)
    if allowed is None:
        return
    allowed_orgs, allowed_users = allowed
    outside = [o.name for o in organisations if o.id not in allowed_orgs]
    outside += [
        u.display_name for u in users
        if u.id not in allowed_users and u.organisation_id not in allowed_orgs
    ]
    if outside:
        raise ServiceError(
            _("These are not members of the community and cannot be in the audience: %(names)s")
            % {"names": ", ".join(outside)}
        )


def _clean_topic_input(
    community, *, title, tag, kind, reader_level, tlp, body, audience_mode,
    audience_organisations, audience_users, attachments,
):
    """Everything a new or edited topic must satisfy, checked before anything is written."""
    fields = _clean_topic_fields(title=title, tag=tag, kind=kind, reader_level=reader_level,
                                 tlp=tlp)
    body = _clean_body(body)
    organisations = list(audience_organisations)
    users = list(audience_users)
    _check_audience(community, audience_mode, organisations, users, fields["tlp"])
    files = _check_files(attachments)
    return fields, body, organisations, users, files


def post_topic(
    *, actor: User, community: Community, title: str, body: str = "", kind: str,
    tag: str = "", reader_level: str = ReaderLevel.GENERAL, tlp: str = TLP.GREEN,
    audience_mode: str = AudienceMode.MEMBERS, audience_organisations=(), audience_users=(),
    attachments=(), pinned: bool = False, now=None, shared_from: Topic | None = None,
) -> Topic:
    if not permissions.can_post(actor, community):
        raise ServiceError(_("You may not post in this community."))
    if pinned and not permissions.can_pin(actor, community):
        raise ServiceError(_("Only the managers of this community may mark must-see topics."))
    fields, body, organisations, users, files = _clean_topic_input(
        community, title=title, tag=tag, kind=kind, reader_level=reader_level, tlp=tlp,
        body=body, audience_mode=audience_mode, audience_organisations=audience_organisations,
        audience_users=audience_users, attachments=attachments,
    )
    now = now or timezone.now()
    with _files_removed_on_failure() as stored, transaction.atomic():
        topic = Topic.objects.create(
            public_id=next_topic_id(timezone.localtime(now, _tokyo()).date()),
            community=community, body=body, body_html=render_markdown(body), author=actor,
            author_organisation=actor.organisation, audience_mode=audience_mode,
            created_at=now, updated_at=now, is_pinned=pinned, shared_from=shared_from,
            **fields,
        )
        _set_audience(topic, audience_mode, organisations, users)
        _store_files(topic, None, actor, files, stored)
        search_index.index_topic(topic.pk)  # search: keep the index in step
        audit.record(actor, "topic.create", topic, community=community.id, tlp=fields["tlp"])
        notify_topic(topic)  # notifications: one fan-out job, queued on commit
    return topic


def _tokyo():
    import zoneinfo

    return zoneinfo.ZoneInfo("Asia/Tokyo")


def _set_audience(topic, audience_mode, organisations, users) -> None:
    TopicAudienceOrganisation.objects.filter(topic=topic).delete()
    TopicAudienceUser.objects.filter(topic=topic).delete()
    if audience_mode != AudienceMode.CHOSEN:
        return
    TopicAudienceOrganisation.objects.bulk_create(
        TopicAudienceOrganisation(topic=topic, organisation=o) for o in set(organisations)
    )
    TopicAudienceUser.objects.bulk_create(
        TopicAudienceUser(topic=topic, user=u) for u in set(users)
    )


def _check_files(attachments) -> list[tuple[object, dict]]:
    attachments = [a for a in attachments if a]
    if len(attachments) > settings.ATTACHMENTS_PER_POST:
        raise ServiceError(_("At most %(n)d files can be attached at once.")
                           % {"n": settings.ATTACHMENTS_PER_POST})
    return [(upload, check_upload(upload)) for upload in attachments]


def _store_files(topic, comment, actor, files, stored: list[str]) -> None:
    for upload, meta in files:
        attachment = Attachment(topic=topic, comment=comment, uploaded_by=actor, **meta)
        attachment.file.save(meta["original_name"], upload, save=False)
        stored.append(attachment.file.name)
        attachment.save()
    if files:
        Topic.objects.filter(pk=topic.pk).update(
            attachment_count=F("attachment_count") + len(files)
        )


@contextmanager
def _files_removed_on_failure():
    """Files written inside a transaction that then fails are deleted, not left behind."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def edit_topic(
    *, actor: User, topic: Topic, title: str, body: str, kind: str, tag: str = "",
    reader_level: str = ReaderLevel.GENERAL, tlp: str = TLP.GREEN,
    audience_mode: str = AudienceMode.MEMBERS, audience_organisations=(), audience_users=(),
    attachments=(),
) -> Topic:
    if not permissions.can_edit_topic(actor, topic):
        raise ServiceError(_("You may not edit this topic."))
    fields, body, organisations, users, files = _clean_topic_input(
        topic.community, title=title, tag=tag, kind=kind, reader_level=reader_level, tlp=tlp,
        body=body, audience_mode=audience_mode, audience_organisations=audience_organisations,
        audience_users=audience_users, attachments=attachments,
    )
    with _files_removed_on_failure() as stored, transaction.atomic():
        locked = Topic.objects.select_related("community", "author").select_for_update(
            of=("self",)).get(pk=topic.pk)
        # The pass-on rule: only the originating organisation widens TLP or audience.
        passing.check_widening(
            topic_item(locked), tlp=fields["tlp"],
            readers=audience_readers(locked.community, audience_mode,
                                     organisations=organisations, users=users,
                                     author=locked.author),
            actor_organisation_id=actor.organisation_id,
            speaks_for_organisation=actor.pk == locked.author_id or actor.is_org_admin)
        TopicRevision.objects.create(
            topic=locked, edited_by=actor, title=locked.title, tag=locked.tag, kind=locked.kind,
            reader_level=locked.reader_level, tlp=locked.tlp, body=locked.body,
            audience_mode=locked.audience_mode,
            audience_organisation_ids=sorted(
                locked.audience_org_links.values_list("organisation_id", flat=True)),
            audience_user_ids=sorted(locked.audience_user_links.values_list("user_id", flat=True)),
        )
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.body = body
        locked.body_html = render_markdown(body)
        locked.audience_mode = audience_mode
        locked.updated_at = timezone.now()
        locked.save()
        _set_audience(locked, audience_mode, organisations, users)
        _store_files(locked, None, actor, files, stored)
        search_index.index_topic(locked.pk)  # search: keep the index in step
        audit.record(actor, "topic.edit", locked, tlp=fields["tlp"])
    locked.refresh_from_db()
    return locked


def attach_files(*, actor: User, topic: Topic, attachments) -> list[Attachment]:
    """Add files to an existing topic (the API's upload); whoever may edit the topic may."""
    if not permissions.can_edit_topic(actor, topic):
        raise ServiceError(_("You may not add files to this topic."))
    if topic.community.is_archived:
        raise ServiceError(_("This community is archived."))
    files = _check_files(attachments)
    if not files:
        raise ServiceError(_("Choose at least one file to attach."))
    with _files_removed_on_failure() as stored, transaction.atomic():
        _store_files(topic, None, actor, files, stored)
        search_index.index_added(  # search: keep the index in step
            topic.pk, file_names=[meta["original_name"] for _f, meta in files])
        audit.record(actor, "topic.attach", topic, files=len(files))
    return list(Attachment.objects.filter(file__in=stored).order_by("id"))


def add_comment(*, actor: User, topic: Topic, body: str, attachments=(), now=None) -> Comment:
    """The caller has read the topic through the visibility rule; any reader may comment.

    `now` lets the demo world date its comments in the past, as `post_topic` does for topics.
    """
    body = _clean_body(body, COMMENT_MAX).strip()
    if not body:
        raise ServiceError(_("A comment cannot be empty."))
    if topic.community.is_archived:
        raise ServiceError(_("This community is archived."))
    files = _check_files(attachments)
    now = now or timezone.now()
    with _files_removed_on_failure() as stored, transaction.atomic():
        comment = Comment.objects.create(
            topic=topic, author=actor, author_organisation=actor.organisation, body=body,
            body_html=render_markdown(body), created_at=now,
        )
        _store_files(topic, comment, actor, files, stored)
        search_index.index_added(  # search: keep the index in step
            topic.pk, comments=[body], file_names=[meta["original_name"] for _f, meta in files])
        Topic.objects.filter(pk=topic.pk).update(
            comment_count=F("comment_count") + 1, updated_at=now
        )
        audit.record(actor, "comment.create", topic, comment=comment.id)
        notify_comment(comment)  # notifications: one fan-out job, queued on commit
    return comment


def acknowledge(*, actor: User, topic: Topic, now=None) -> bool:
    """いいね！ Returns False if the reader had already acknowledged."""
    with transaction.atomic():
        _ack, created = Acknowledgement.objects.get_or_create(
            topic=topic, user=actor, defaults={"created_at": now or timezone.now()}
        )
        if created:
            Topic.objects.filter(pk=topic.pk).update(ack_count=F("ack_count") + 1)
    return created


def withdraw_acknowledgement(*, actor: User, topic: Topic) -> bool:
    with transaction.atomic():
        deleted, _ = Acknowledgement.objects.filter(topic=topic, user=actor).delete()
        if deleted:
            Topic.objects.filter(pk=topic.pk).update(ack_count=F("ack_count") - 1)
    return bool(deleted)


def record_view(topic: Topic, reader: User | None = None) -> None:
    """Count a view; every read of a RED topic also goes to the audit log."""
    Topic.objects.filter(pk=topic.pk).update(view_count=F("view_count") + 1)
    if topic.tlp == TLP.RED and reader is not None:
        audit.record(reader, "topic.read_red", topic)


def record_download(attachment: Attachment, reader: User) -> None:
    """A download of a TLP:RED topic's file is a read of RED, so it goes to the audit log."""
    if attachment.topic.tlp == TLP.RED:
        audit.record(reader, "attachment.download_red", attachment.topic,
                     attachment=attachment.id, name=attachment.original_name)


def set_pinned(*, actor: User, topic: Topic, pinned: bool) -> Topic:
    if not permissions.can_pin(actor, topic.community):
        raise ServiceError(_("Only the managers of this community may mark must-see topics."))
    with transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(is_pinned=pinned)
        audit.record(actor, "topic.pin" if pinned else "topic.unpin", topic)
    topic.is_pinned = pinned
    return topic


def reshare_refusal(*, actor: User, topic: Topic, community: Community) -> str | None:
    """Why the actor may not re-share the topic into the community (the pass-on rule), or
    None. The copy is posted for all members there, in the actor's name."""
    if community.id == topic.community_id:
        return _("The topic is already in this community.")
    return passing.refusal(topic_item(topic), community_destination(community, author=actor),
                           actor_organisation_id=actor.organisation_id)


def reshare_topic(*, actor: User, topic: Topic, community: Community) -> Topic:
    """Copy a topic into another community, as far as the pass-on rule allows."""
    reason = reshare_refusal(actor=actor, topic=topic, community=community)
    if reason:
        raise ServiceError(reason, code="pass_on")
    audience = {}
    readers = community_destination(community, author=actor).readers
    if readers.organisations is not None and not passes_anywhere(
            topic, actor_organisation_id=actor.organisation_id):
        # Allowed for the readers there now, not for whoever joins later: the copy names them.
        audience = {"audience_mode": AudienceMode.CHOSEN,
                    "audience_organisations": Organisation.objects.filter(
                        pk__in=readers.organisations),
                    "audience_users": User.objects.filter(
                        pk__in=[user for user, _organisation in readers.people])}
    with transaction.atomic():
        copy = post_topic(
            actor=actor, community=community, title=topic.title, body=topic.body,
            kind=topic.kind, tag=topic.tag, reader_level=topic.reader_level, tlp=topic.tlp,
            shared_from=topic, **audience,
        )
        for attachment in topic.attachments.filter(comment__isnull=True):
            Attachment.objects.create(
                topic=copy, uploaded_by=actor, file=attachment.file.name,
                original_name=attachment.original_name, content_type=attachment.content_type,
                size=attachment.size, sha256=attachment.sha256,
            )
        Topic.objects.filter(pk=copy.pk).update(
            attachment_count=topic.attachments.filter(comment__isnull=True).count()
        )
        search_index.index_topic(copy.pk)  # search: the copied file names too
        audit.record(actor, "topic.reshare", topic, into=community.id, copy=copy.public_id)
    return copy

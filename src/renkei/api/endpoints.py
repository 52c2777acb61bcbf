"""The API's operations. Thin: read through the visibility rule, write through the services.

Every read of a community or topic goes through `readable_communities`, `access_community`,
`access_topic` or `search_topics`; a missing and a forbidden item both answer 404.
"""

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from renkei.accounts.models import Organisation, User
from renkei.api import schemas, serialise
from renkei.api.paging import DEFAULT_LIMIT, MAX_LIMIT, page, query_hash
from renkei.api.rendering import fast_json
from renkei.communities import services
from renkei.communities.models import Topic
from renkei.communities.search import parse_topic_query, search_topics
from renkei.communities.views import attachment_download as attachment_download_view
from renkei.errors import ServiceError
from renkei.notifications import services as notification_services
from renkei.sharing import permissions
from renkei.sharing.visibility import access_community, access_topic, readable_communities

router = Router()


def answers(schema, status: int = 200) -> dict:
    """The operation's answer, and the errors every operation documents (see `errors`)."""
    return {status: schema, 400: schemas.Error, 401: schemas.Error, 404: schemas.Error}


Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1-100).")
Cursor = Query(None, description="`next_cursor` of the previous page; omit for the first.")


def _paged(request: HttpRequest, queryset: QuerySet, cursor: str | None, limit: int,
           list_name: str, fields: tuple[str, ...] = ()) -> tuple[list, str | None]:
    bound_to = query_hash(f"{request.auth.id}:{list_name}", request.GET)
    return page(queryset, cursor=cursor, limit=limit, bound_to=bound_to, fields=fields)


# --- me --------------------------------------------------------------------------------------

@router.get("/me", response=answers(schemas.Me), url_name="me", tags=["me"])
def me(request: HttpRequest):
    user = request.auth
    return {
        "email": user.email, "name": user.name, "display_name": user.display_name,
        "organisation": {"id": user.organisation_id, "name": user.organisation.name,
                         "kind": user.organisation.kind},
    }


# --- communities -----------------------------------------------------------------------------

@router.get("/communities", response=answers(schemas.CommunityPage), url_name="communities",
            tags=["communities"])
def community_list(request: HttpRequest, cursor: str | None = Cursor, limit: int = Limit):
    """The communities you may read."""
    communities = readable_communities(request.auth).select_related("owner_organisation")
    rows, next_cursor = _paged(request, communities, cursor, limit, "communities")
    links = serialise.Links(request)
    return fast_json({"items": [serialise.community(c, links) for c in rows],
                      "next_cursor": next_cursor})


@router.get("/communities/{community_id}", response=answers(schemas.CommunityOut),
            url_name="community", tags=["communities"])
def community_detail(request: HttpRequest, community_id: str):
    community = access_community(request.auth, community_id)
    return serialise.community(community, serialise.Links(request))


# --- topics ----------------------------------------------------------------------------------

class TopicFilters(Schema):
    """The search page's parameters; repeat a parameter to allow several values."""

    q: str | None = None
    community: list[str] = []
    kind: list[str] = []
    tag: list[str] = []
    tlp: list[str] = []
    level: list[str] = []
    org: list[str] = []
    date_from: str | None = Field(None, alias="from")
    to: str | None = None
    acked: str | None = None
    sort: str | None = None


@router.get("/topics", response=answers(schemas.TopicPage), url_name="topics", tags=["topics"])
def topic_list(request: HttpRequest, filters: Query[TopicFilters], cursor: str | None = Cursor,
               limit: int = Limit):
    """Topics you may read: all of them, or a search with the same parameters as the search
    page (q, community, kind, tag, tlp, level, org, from, to, acked, sort)."""
    # The raw parameters, so the API refuses and accepts exactly what the search page does.
    query = parse_topic_query(request.GET, request.auth)
    topics = serialise.with_acknowledged(search_topics(request.auth, query), request.auth)
    rows, next_cursor = _paged(request, topics, cursor, limit, "topics", serialise.TOPIC_FIELDS)
    links = serialise.Links(request)
    return fast_json({"items": [serialise.topic(t, links) for t in rows],
                      "next_cursor": next_cursor})


def _readable_topic(request: HttpRequest, public_id: str) -> Topic:
    return access_topic(request.auth, public_id)


def _organisations(ids: list[int]) -> list[Organisation]:
    found = list(Organisation.objects.filter(id__in=ids))
    _refuse_unknown(ids, found, _("Unknown organisations: %(ids)s."))
    return found


def _users(ids: list[int]) -> list[User]:
    # Inactive people too: an audience kept on edit may name someone who has since left (they
    # read nothing while inactive); whom an audience may name is the service's to decide.
    found = list(User.objects.select_related("organisation").filter(id__in=ids))
    _refuse_unknown(ids, found, _("Unknown people: %(ids)s."))
    return found


def _refuse_unknown(ids: list[int], found: list, message: str) -> None:
    missing = sorted(set(ids) - {obj.id for obj in found})
    if missing:
        raise ServiceError(message % {"ids": ", ".join(str(i) for i in missing)})


def _detail(request: HttpRequest, topic: Topic) -> dict:
    links = serialise.Links(request)
    fresh = serialise.with_acknowledged(Topic.objects.filter(pk=topic.pk), request.auth).values(
        *serialise.TOPIC_FIELDS, "body", "body_html").get()
    organisations = Organisation.objects.filter(
        id__in=topic.audience_org_links.values("organisation_id")).order_by("id")
    users = User.objects.select_related("organisation").filter(
        id__in=topic.audience_user_links.values("user_id")).order_by("id")
    return {
        **serialise.topic(fresh, links), "body": fresh["body"], "body_html": fresh["body_html"],
        "audience": {"organisations": [serialise.named(o) for o in organisations],
                     "users": [serialise.person(u) for u in users]},
        "may_edit": permissions.can_edit_topic(request.auth, topic),
    }


@router.post("/topics", response=answers(schemas.TopicDetail, 201), url_name="topic_create",
             tags=["topics"])
def topic_create(request: HttpRequest, payload: schemas.TopicCreate):
    """Post a topic; the same checks as the page (who may post, TLP, audience)."""
    # A community you cannot read is as unknown as one that does not exist: 404.
    community = access_community(request.auth, payload.community)
    topic = services.post_topic(
        actor=request.auth, community=community, title=payload.title, body=payload.body,
        kind=payload.kind, tag=payload.tag, reader_level=payload.reader_level, tlp=payload.tlp,
        audience_mode=payload.audience_mode,
        audience_organisations=_organisations(payload.audience_organisations),
        audience_users=_users(payload.audience_users),
    )
    return Status(201, _detail(request, topic))


@router.get("/topics/{public_id}", response=answers(schemas.TopicDetail), url_name="topic",
            tags=["topics"])
def topic_detail(request: HttpRequest, public_id: str):
    topic = _readable_topic(request, public_id)
    services.record_view(topic, request.auth)
    return _detail(request, topic)


@router.patch("/topics/{public_id}", response=answers(schemas.TopicDetail), url_name="topic_update",
              tags=["topics"])
def topic_update(request: HttpRequest, public_id: str, payload: schemas.TopicUpdate):
    """Edit a topic; fields left out keep their values (the old version goes to its history)."""
    topic = _readable_topic(request, public_id)
    sent = payload.model_dump(exclude_unset=True)
    current = {
        "title": topic.title, "body": topic.body, "kind": topic.kind, "tag": topic.tag,
        "reader_level": topic.reader_level, "tlp": topic.tlp,
        "audience_mode": topic.audience_mode,
    }
    fields = {name: sent.get(name) if sent.get(name) is not None else value
              for name, value in current.items()}
    org_ids = sent.get("audience_organisations")
    if org_ids is None:
        org_ids = list(topic.audience_org_links.values_list("organisation_id", flat=True))
    user_ids = sent.get("audience_users")
    if user_ids is None:
        user_ids = list(topic.audience_user_links.values_list("user_id", flat=True))
    edited = services.edit_topic(
        actor=request.auth, topic=topic, **fields,
        audience_organisations=_organisations(org_ids), audience_users=_users(user_ids),
    )
    return _detail(request, edited)


# --- comments --------------------------------------------------------------------------------

@router.get("/topics/{public_id}/comments", response=answers(schemas.CommentPage),
            url_name="comments", tags=["comments"])
def comment_list(request: HttpRequest, public_id: str, cursor: str | None = Cursor,
                 limit: int = Limit):
    topic = _readable_topic(request, public_id)
    comments = topic.comments.select_related(*serialise.COMMENT_RELATED)
    rows, next_cursor = _paged(request, comments, cursor, limit, f"comments:{topic.pk}")
    return fast_json({"items": [serialise.comment(c) for c in rows], "next_cursor": next_cursor})


@router.post("/topics/{public_id}/comments", response=answers(schemas.CommentOut, 201),
             url_name="comment_create", tags=["comments"])
def comment_create(request: HttpRequest, public_id: str, payload: schemas.CommentIn):
    topic = _readable_topic(request, public_id)
    comment = services.add_comment(actor=request.auth, topic=topic, body=payload.body)
    comment.topic, comment.author = topic, request.auth
    comment.author_organisation = request.auth.organisation
    return Status(201, serialise.comment(comment))


# --- acknowledgements (いいね！) ---------------------------------------------------------------

def _acknowledged(topic: Topic, acknowledged: bool, changed: bool) -> dict:
    count = Topic.objects.filter(pk=topic.pk).values_list("ack_count", flat=True).get()
    return {"acknowledged": acknowledged, "changed": changed, "ack_count": count}


@router.post("/topics/{public_id}/acknowledgement", response=answers(schemas.Acknowledged),
             url_name="acknowledge", tags=["acknowledgements"])
def acknowledge(request: HttpRequest, public_id: str):
    """いいね！: say you have read the topic. Repeating it changes nothing."""
    topic = _readable_topic(request, public_id)
    changed = services.acknowledge(actor=request.auth, topic=topic)
    return _acknowledged(topic, True, changed)


@router.delete("/topics/{public_id}/acknowledgement", response=answers(schemas.Acknowledged),
               url_name="withdraw_acknowledgement", tags=["acknowledgements"])
def withdraw_acknowledgement(request: HttpRequest, public_id: str):
    topic = _readable_topic(request, public_id)
    changed = services.withdraw_acknowledgement(actor=request.auth, topic=topic)
    return _acknowledged(topic, False, changed)


# --- attachments -----------------------------------------------------------------------------

@router.get("/topics/{public_id}/attachments", response=answers(schemas.AttachmentPage),
            url_name="attachments", tags=["attachments"])
def attachment_list(request: HttpRequest, public_id: str, cursor: str | None = Cursor,
                    limit: int = Limit):
    """The files of the topic and of its comments."""
    topic = _readable_topic(request, public_id)
    rows, next_cursor = _paged(request, topic.attachments.all(), cursor, limit,
                               f"attachments:{topic.pk}")
    links = serialise.Links(request)
    return fast_json({"items": [serialise.attachment(a, topic.public_id, links) for a in rows],
                      "next_cursor": next_cursor})


@router.post("/topics/{public_id}/attachments", response=answers(schemas.AttachmentPage, 201),
             url_name="attachment_upload", tags=["attachments"])
def attachment_upload(request: HttpRequest, public_id: str,
                      files: File[list[UploadedFile]]):
    """Add files (multipart field `files`, repeatable) to a topic you may edit."""
    topic = _readable_topic(request, public_id)
    added = services.attach_files(actor=request.auth, topic=topic, attachments=files)
    links = serialise.Links(request)
    items = [serialise.attachment(a, topic.public_id, links) for a in added]
    return Status(201, {"items": items, "next_cursor": None})


@router.get("/attachments/{attachment_id}", url_name="attachment_download",
            tags=["attachments"])
def attachment_download(request: HttpRequest, attachment_id: int):
    """The file itself, always as a download (`application/octet-stream`, nosniff)."""
    # The page's download view: the same visibility check, RED audit entry and headers.
    return attachment_download_view(request, attachment_id)


# --- notifications ---------------------------------------------------------------------------

@router.get("/notifications", response=answers(schemas.NotificationPage), url_name="notifications",
            tags=["notifications"])
def notification_list(request: HttpRequest, unread: bool = False, cursor: str | None = Cursor,
                      limit: int = Limit):
    """Your notifications, newest first; only those whose topic you may still read."""
    notifications = notification_services.visible_notifications(request.auth).select_related(
        "topic", "topic__community")
    if unread:
        notifications = notifications.filter(read_at__isnull=True)
    rows, next_cursor = _paged(request, notifications, cursor, limit, "notifications")
    links = serialise.Links(request)
    return fast_json({"items": [serialise.notification(n, links) for n in rows],
                      "next_cursor": next_cursor,
                      "unread_count": notification_services.unread_count(request.auth)})


@router.post("/notifications/{notification_id}/read", response=answers(schemas.NotificationOut),
             url_name="notification_read", tags=["notifications"])
def notification_read(request: HttpRequest, notification_id: int):
    notification = notification_services.mark_read(request.auth, notification_id)
    if notification is None:
        raise Http404
    return serialise.notification(notification, serialise.Links(request))

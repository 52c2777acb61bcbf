"""Rows as plain dicts: built from what the list query already fetched, never a query per row."""

from types import SimpleNamespace

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse

from renkei.accounts.models import User
from renkei.communities.models import Acknowledgement, Attachment, Comment, Community

COMMENT_RELATED = ("author", "author__organisation", "author_organisation", "topic")


class Links:
    """Absolute links for one response: the URL pattern is reversed once, not once per row."""

    def __init__(self, request):
        self._base = request.build_absolute_uri("/").rstrip("/")
        self._topic = reverse("communities:topic", args=["TOPICID"]).replace("TOPICID", "{}")
        self._community = reverse("communities:detail", args=[0]).replace("/0/", "/{}/")
        self._attachment = reverse("api:attachment_download", args=[0]).replace("/0", "/{}")

    def topic(self, public_id: str) -> str:
        return self._base + self._topic.format(public_id)

    def community(self, community_id: int) -> str:
        return self._base + self._community.format(community_id)

    def attachment(self, attachment_id: int) -> str:
        return self._base + self._attachment.format(attachment_id)


def with_acknowledged(topics: QuerySet, user) -> QuerySet:
    """Topics with `acknowledged` (by this user) in the same query."""
    return topics.annotate(acknowledged=Exists(
        Acknowledgement.objects.filter(topic_id=OuterRef("pk"), user_id=user.id)))


def named(obj) -> dict:
    return {"id": obj.id, "name": obj.name}


def person(user) -> dict:
    return {"id": user.id, "name": user.name, "display_name": user.display_name}


def community(row: Community, links: Links) -> dict:
    return {
        "id": row.id, "name": row.name, "kind": row.kind, "description": row.description,
        "owner_organisation": named(row.owner_organisation), "is_archived": row.is_archived,
        "created_at": row.created_at, "url": links.community(row.id),
    }


# What a topic row shows, read as plain values in the list's one query (no body, no models).
TOPIC_FIELDS = (
    "public_id", "title", "tag", "kind", "reader_level", "tlp", "audience_mode", "created_at",
    "updated_at", "is_pinned", "ack_count", "comment_count", "attachment_count", "view_count",
    "acknowledged", "community_id", "community__name", "author_id", "author__name",
    "author__organisation__name", "author_organisation_id", "author_organisation__name",
)


def _display_name(name: str, organisation_name: str) -> str:
    # The one way people are shown (`User.display_name`), applied to plain values.
    return User.display_name.fget(SimpleNamespace(
        name=name, organisation=SimpleNamespace(name=organisation_name)))


def topic(row: dict, links: Links) -> dict:
    """A topic from the values of TOPIC_FIELDS."""
    return {
        "id": row["public_id"], "url": links.topic(row["public_id"]),
        "community": {"id": row["community_id"], "name": row["community__name"]},
        "title": row["title"], "tag": row["tag"], "kind": row["kind"],
        "reader_level": row["reader_level"], "tlp": row["tlp"],
        "audience_mode": row["audience_mode"],
        "author": {"id": row["author_id"], "name": row["author__name"],
                   "display_name": _display_name(row["author__name"],
                                                 row["author__organisation__name"])},
        "author_organisation": {"id": row["author_organisation_id"],
                                "name": row["author_organisation__name"]},
        "created_at": row["created_at"], "updated_at": row["updated_at"],
        "is_pinned": row["is_pinned"], "ack_count": row["ack_count"],
        "comment_count": row["comment_count"], "attachment_count": row["attachment_count"],
        "view_count": row["view_count"], "acknowledged": bool(row["acknowledged"]),
    }


def comment(row: Comment) -> dict:
    return {
        "id": row.id, "topic": row.topic.public_id, "author": person(row.author),
        "author_organisation": named(row.author_organisation), "body": row.body,
        "body_html": row.body_html, "created_at": row.created_at,
    }


def attachment(row: Attachment, public_id: str, links: Links) -> dict:
    return {
        "id": row.id, "topic": public_id, "comment": row.comment_id, "name": row.original_name,
        "content_type": row.content_type, "size": row.size, "sha256": row.sha256,
        "created_at": row.created_at, "download_url": links.attachment(row.id),
    }


def notification(row, links: Links) -> dict:
    topic = row.topic
    return {
        "id": row.id, "comment": row.comment_id, "created_at": row.created_at,
        "read_at": row.read_at, "unread": row.read_at is None,
        "topic": {"id": topic.public_id, "title": topic.title, "tlp": topic.tlp,
                  "community": named(topic.community), "url": links.topic(topic.public_id)},
    }

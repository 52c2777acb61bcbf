"""Rows as plain dicts: built from what the list query already fetched, never a query per row."""

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse

from renkei.communities.models import Acknowledgement, Attachment, Comment, Community, Topic

# Everything a topic row reads, fetched by the list query itself.
TOPIC_RELATED = ("community", "author", "author__organisation", "author_organisation")
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
    return topics.select_related(*TOPIC_RELATED).annotate(acknowledged=Exists(
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


def topic(row: Topic, links: Links) -> dict:
    return {
        "id": row.public_id, "url": links.topic(row.public_id),
        "community": named(row.community), "title": row.title, "tag": row.tag,
        "kind": row.kind, "reader_level": row.reader_level, "tlp": row.tlp,
        "audience_mode": row.audience_mode, "author": person(row.author),
        "author_organisation": named(row.author_organisation),
        "created_at": row.created_at, "updated_at": row.updated_at, "is_pinned": row.is_pinned,
        "ack_count": row.ack_count, "comment_count": row.comment_count,
        "attachment_count": row.attachment_count, "view_count": row.view_count,
        "acknowledged": bool(getattr(row, "acknowledged", False)),
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

"""What the API takes and gives, for validation and the OpenAPI document.

Responses are built as plain dicts (see `serialise`); these schemas describe them.
"""

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, ConfigDict
from pydantic_core import PydanticCustomError


def _no_nul(value: str) -> str:
    # Forms refuse NUL characters (Django's CharField); so does the API, before the database
    # (PostgreSQL cannot store one) turns them into a server error.
    if "\x00" in value:
        raise PydanticCustomError("null_character", "must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


class Strict(Schema):
    # An unknown field is a mistake worth saying (e.g. "titel"), not something to drop silently.
    model_config = ConfigDict(extra="forbid")


class Error(Schema):
    error: str
    status: int


class Named(Schema):
    id: int
    name: str


class Person(Schema):
    id: int
    name: str
    display_name: str


class Me(Schema):
    email: str
    name: str
    display_name: str
    organisation: dict


class CommunityOut(Schema):
    id: int
    name: str
    kind: str
    description: str
    owner_organisation: Named
    is_archived: bool
    created_at: datetime
    url: str


class CommunityPage(Schema):
    items: list[CommunityOut]
    next_cursor: str | None


class TopicOut(Schema):
    id: str
    url: str
    community: Named
    title: str
    tag: str
    kind: str
    reader_level: str
    tlp: str
    audience_mode: str
    author: Person
    author_organisation: Named
    created_at: datetime
    updated_at: datetime
    is_pinned: bool
    ack_count: int
    comment_count: int
    attachment_count: int
    view_count: int
    acknowledged: bool


class Audience(Schema):
    organisations: list[Named]
    users: list[Person]


class TopicDetail(TopicOut):
    body: str
    body_html: str
    audience: Audience
    may_edit: bool


class TopicPage(Schema):
    items: list[TopicOut]
    next_cursor: str | None


class TopicCreate(Strict):
    community: int
    title: Text
    body: Text = ""
    kind: Text
    tag: Text = ""
    reader_level: Text = "general"
    tlp: Text = "green"
    audience_mode: Text = "members"
    audience_organisations: list[int] = []
    audience_users: list[int] = []


class TopicUpdate(Strict):
    """Only the fields sent change; the others keep their current values."""

    title: Text | None = None
    body: Text | None = None
    kind: Text | None = None
    tag: Text | None = None
    reader_level: Text | None = None
    tlp: Text | None = None
    audience_mode: Text | None = None
    audience_organisations: list[int] | None = None
    audience_users: list[int] | None = None


class CommentIn(Strict):
    body: Text


class CommentOut(Schema):
    id: int
    topic: str
    author: Person
    author_organisation: Named
    body: str
    body_html: str
    created_at: datetime


class CommentPage(Schema):
    items: list[CommentOut]
    next_cursor: str | None


class AttachmentOut(Schema):
    id: int
    topic: str
    comment: int | None
    name: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    download_url: str


class AttachmentPage(Schema):
    items: list[AttachmentOut]
    next_cursor: str | None


class Acknowledged(Schema):
    acknowledged: bool
    changed: bool
    ack_count: int


class NotificationTopic(Schema):
    id: str
    title: str
    tlp: str
    community: Named
    url: str


class NotificationOut(Schema):
    id: int
    topic: NotificationTopic
    comment: int | None
    created_at: datetime
    read_at: datetime | None
    unread: bool


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int

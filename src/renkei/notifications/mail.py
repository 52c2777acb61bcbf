"""What a notification mail says. AMBER, AMBER+STRICT and RED carry the title and a link only;
GREEN and CLEAR may carry the text, except consultation-window reports (the pass-on rule,
`sharing.passing`). No mail carries attachments."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from renkei.accounts.models import User
from renkei.communities.models import Comment, CommunityKind, Topic
from renkei.sharing.models import TLP
from renkei.sharing.passing import Kind, passable_tlps


def topic_link(topic: Topic) -> str:
    return settings.BASE_URL + reverse("communities:topic", args=[topic.public_id])


def settings_link() -> str:
    return settings.BASE_URL + reverse("notifications:settings")


def may_carry_text(topic: Topic) -> bool:
    """The pass-on rule for a mail body: CLEAR and GREEN, and never a consultation report."""
    from_consultation = topic.community.kind == CommunityKind.CONSULTATION
    return topic.tlp in passable_tlps(Kind.MAIL, from_consultation=from_consultation)


def subject_line(topic: Topic, comment: Comment | None = None) -> str:
    prefix = "Re: " if comment is not None else ""
    return f"[renkei] {prefix}{topic.tagged_title} ({TLP(topic.tlp).label})"


def item_text(topic: Topic, comment: Comment | None = None) -> str:
    """One item: what happened, where, the text if its TLP allows, and the link."""
    names = {"community": topic.community.name, "title": topic.tagged_title,
             "tlp": TLP(topic.tlp).label}
    if comment is None:
        heading = _("New topic in %(community)s: %(title)s (%(tlp)s)") % names
    else:
        heading = _("New comment in %(community)s on %(title)s (%(tlp)s)") % names
    lines = [heading, ""]
    if may_carry_text(topic):
        text = comment.body if comment is not None else topic.body
        if text.strip():
            lines += [text.strip(), ""]
    else:
        lines += [_("%(tlp)s: the text is not sent by e-mail. Read it on renkei:") % names, ""]
    lines.append(topic_link(topic))
    return "\n".join(lines)


def _footer() -> str:
    return _("You can change which notifications you receive here: %(url)s") % {
        "url": settings_link()}


def send(user: User, subject: str, body: str) -> None:
    message = EmailMessage(subject=subject, body=f"{body}\n\n-- \n{_footer()}",
                           from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])
    message.send(fail_silently=False)


def send_item(user: User, topic: Topic, comment: Comment | None = None) -> None:
    with translation.override(user.language):
        send(user, subject_line(topic, comment), item_text(topic, comment))


def send_digest(user: User, items: list[tuple[Topic, Comment | None]], day: str) -> None:
    with translation.override(user.language):
        subject = "[renkei] " + _("Daily digest %(day)s: %(n)d new items") % {
            "day": day, "n": len(items)}
        separator = "\n\n" + "-" * 40 + "\n\n"
        send(user, subject, separator.join(item_text(t, c) for t, c in items))

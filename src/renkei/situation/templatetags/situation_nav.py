"""The main menu's link to the situation pages, for the centre's incident staff only.

One query (the person's roles) for centre people, none for anyone else."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from renkei.situation.permissions import may_use_situation

register = template.Library()


@register.simple_tag(takes_context=True)
def situation_nav_link(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_centre_staff:
        return ""
    if not may_use_situation(user):
        return ""
    match = getattr(request, "resolver_match", None)
    current = ' aria-current="page"' if getattr(match, "app_name", "") == "situation" else ""
    return format_html('<a href="{}"{}>{}</a>', reverse("situation:index"),
                       mark_safe(current), _("Situation"))

"""The main menu's link to evaluations, for the people who work with them.

The centre's risk assessors, and the admins of other organisations (who follow up their
organisation's findings). The check costs one query for centre people and none for anyone else,
since every page is rendered with it; members who own a finding reach it from their mails.
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from renkei.sharing.evaluation_visibility import may_assess

register = template.Library()


@register.simple_tag(takes_context=True)
def evaluations_nav_link(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    if not (may_assess(user) if user.is_centre_staff else user.is_org_admin):
        return ""
    match = getattr(request, "resolver_match", None)
    current = ' aria-current="page"' if getattr(match, "app_name", "") == "evaluations" else ""
    return format_html('<a href="{}"{}>{}</a>', reverse("evaluations:list"),
                       mark_safe(current), _("Risk evaluation"))

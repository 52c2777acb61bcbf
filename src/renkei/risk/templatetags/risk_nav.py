"""The menu link to risk assessment, shown only to people who may use it: the centre's risk
assessors and the people of organisations asked to take part in a round."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from renkei.sharing.risk_visibility import is_risk_assessor, readable_rounds

register = template.Library()


@register.simple_tag(takes_context=True)
def risk_nav_link(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    if not (is_risk_assessor(user) or readable_rounds(user).exists()):
        return ""
    match = getattr(request, "resolver_match", None)
    if match and match.app_name == "risk":
        return format_html('<a href="{}" aria-current="page">{}</a>', reverse("risk:home"),
                           _("Risk assessment"))
    return format_html('<a href="{}">{}</a>', reverse("risk:home"), _("Risk assessment"))

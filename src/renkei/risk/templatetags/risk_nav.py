"""The menu link to risk assessment, shown to the people who may use it: the centre's risk
assessors (one query, for centre people only) and the people of participant organisations, who
are the ones rounds target (no query: the page says when a round has not asked them yet)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from renkei.accounts.models import OrganisationKind
from renkei.sharing.risk_visibility import is_risk_assessor

register = template.Library()


@register.simple_tag(takes_context=True)
def risk_nav_link(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    kind = user.organisation.kind
    if not (kind == OrganisationKind.PARTICIPANT
            or (kind == OrganisationKind.CENTRE and is_risk_assessor(user))):
        return ""
    match = getattr(request, "resolver_match", None)
    if match and match.app_name == "risk":
        return format_html('<a href="{}" aria-current="page">{}</a>', reverse("risk:home"),
                           _("Risk assessment"))
    return format_html('<a href="{}">{}</a>', reverse("risk:home"), _("Risk assessment"))

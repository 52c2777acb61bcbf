"""The notification list and the notification settings. Reads go through `services` (which use
the visibility rule); writes too."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkei.errors import ServiceError
from renkei.notifications import services
from renkei.notifications.models import Mode
from renkei.sharing.visibility import readable_communities

PER_PAGE = 50
FIELD_PREFIX = "mode-"


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = (services.visible_notifications(request.user)
                     .select_related("topic__community", "comment__author"))
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(request.user)
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


def _parse_choices(post) -> dict[int, str]:
    choices = {}
    for name, value in post.items():
        if not name.startswith(FIELD_PREFIX):
            continue
        key = name.removeprefix(FIELD_PREFIX)
        if not key.isdigit():
            raise ServiceError(_("Unknown notification setting."))
        choices[int(key)] = value
    return choices


def _settings_rows(user, posted: dict[int, str] | None = None) -> list[dict]:
    chosen = services.chosen_modes(user)
    communities = readable_communities(user).select_related("notified_organisation")
    return [{
        "community": community,
        "field": f"{FIELD_PREFIX}{community.id}",
        "value": (posted or {}).get(community.id) or chosen.get(community.id, services.DEFAULT),
        "default": Mode(services.default_mode(user, community)).label,
    } for community in communities.order_by("kind", "name")]


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    status, posted = 200, None
    if request.method == "POST":
        try:
            posted = _parse_choices(request.POST)
            services.set_preferences(user=request.user, choices=posted)
        except ServiceError as exc:
            for message in exc.messages:
                messages.error(request, message)
            status = 400
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {
        "rows": _settings_rows(request.user, posted if status == 400 else None),
        "modes": Mode.choices, "default_value": services.DEFAULT,
    }, status=status)

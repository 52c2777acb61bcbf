"""Pages of the feeds app: import (upload, runs with progress), scheduled feeds, the values
found in a topic, and the list of exports. Thin: forms parse, services write, reads go
through `feeds.selectors`, `intel.selectors` and `access_topic`."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from renkei.errors import ServiceError
from renkei.feeds import exporters, permissions, selectors, services
from renkei.feeds.forms import FeedSourceForm, ImportForm, MakeIndicatorsForm
from renkei.feeds.services import Placement
from renkei.http import show_errors
from renkei.intel import selectors as intel_selectors
from renkei.sharing.models import AudienceMode
from renkei.sharing.visibility import access_topic

# Room for the form fields and multipart boundaries around the files.
MULTIPART_OVERHEAD = 64 * 1024


class SizeLimit(FileUploadHandler):
    """Stops reading an upload as soon as it is larger than the limit, whatever the request
    declared: a 200 MB file is never read whole, into memory or onto disk."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit, self.received = limit, 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.limit + MULTIPART_OVERHEAD:
            self.request.feeds_too_large = True
            raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.feeds_too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def _too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.FEEDS_IMPORT_MAX_BYTES
    return render(request, "feeds/refused.html", {
        "errors": [_("The upload is larger than the limit of %(mb)s MB.")
                   % {"mb": f"{limit / (1024 * 1024):.1f}".removesuffix(".0")}],
    }, status=413)


# --- overview and import ---------------------------------------------------------------------

@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "feeds/overview.html", {
        "runs": selectors.readable_runs(user)[:20],
        "collections": intel_selectors.readable_collections(user),
        "blocklists": list(exporters.BLOCKLISTS),
        "may_manage_sources": permissions.may_manage_feed_sources(user),
    })


@csrf_exempt
@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """csrf_exempt only so the size limit is in place before anything reads the body; the
    inner view checks the CSRF token as every form does."""
    if request.method == "POST":
        declared = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.FEEDS_IMPORT_MAX_BYTES
        if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
            return _too_large(request)
        request.upload_handlers.insert(0, SizeLimit(request, limit))
    return _import_page(request)


@csrf_protect
def _import_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method != "POST":
        return render(request, "feeds/import.html", {"form": ImportForm(user=user)})
    form = ImportForm(request.POST, request.FILES, user=user)
    if getattr(request, "feeds_too_large", False):
        return _too_large(request)
    if form.is_valid():
        data = form.cleaned_data
        placement = Placement(
            community=data["community"], tlp=data["tlp"], audience_mode=data["audience_mode"],
            organisations=tuple(data["audience_organisations"])
            if data["audience_mode"] == AudienceMode.CHOSEN else (),
            valid_until=data["valid_until"])
        try:
            run = services.start_import(
                user=user, placement=placement, fmt=data["format"],
                files=[(f.name, f.read()) for f in data["files"]])
        except ServiceError as exc:
            show_errors(request, exc)
        else:
            return redirect("feeds:run", run_id=run.uuid)
    return render(request, "feeds/import.html", {"form": form}, status=400)


@login_required
@require_GET
def run_detail(request: HttpRequest, run_id: str) -> HttpResponse:
    run = selectors.access_run(request.user, run_id)
    return render(request, "feeds/run.html", {"run": run})


@login_required
@require_GET
def run_progress(request: HttpRequest, run_id: str) -> JsonResponse:
    run = selectors.access_run(request.user, run_id)
    return JsonResponse(run_json(run), json_dumps_params={"ensure_ascii": False})


def run_json(run) -> dict:
    return {
        "id": str(run.uuid), "state": run.state, "state_label": str(run.get_state_display()),
        "format": run.format, "source": run.source_name, "community": run.community_id,
        "tlp": run.tlp, "finished": run.is_finished, "percent": run.percent,
        "processed": run.processed, "total": run.total, "received": run.received,
        "new": run.new, "duplicate": run.duplicate, "failed": run.failed,
        "skipped": run.skipped, "message": run.message, "failures": run.failures[:100],
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


# --- scheduled feeds -------------------------------------------------------------------------

@login_required
def sources(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not permissions.may_manage_feed_sources(user):
        raise Http404
    form = FeedSourceForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.create_feed_source(
                    user, name=data["name"], url=data["url"], fmt=data["format"],
                    community=data["community"], tlp=data["tlp"],
                    interval_minutes=data["interval_minutes"], valid_days=data["valid_days"],
                    enabled=data["enabled"], authorization=data["authorization"])
            except ServiceError as exc:
                show_errors(request, exc)
            else:
                return redirect("feeds:sources")
        status = 400
    return render(request, "feeds/sources.html", {
        "sources": selectors.feed_sources(user), "form": form}, status=status)


@login_required
@require_POST
def source_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    source = selectors.access_feed_source(request.user, pk)
    try:
        if action == "fetch":
            services.fetch_now(request.user, source)
            messages.success(request, _("The feed will be fetched in a moment."))
        elif action in {"enable", "disable"}:
            services.set_feed_source_enabled(request.user, source, action == "enable")
        else:
            raise Http404
    except ServiceError as exc:
        show_errors(request, exc)
    return redirect("feeds:sources")


# --- from a topic to indicators --------------------------------------------------------------

@login_required
def topic_indicators(request: HttpRequest, public_id: str) -> HttpResponse:
    topic = access_topic(request.user, public_id)
    found = services.found_in_topic(topic)
    targets = selectors.indicator_targets(request.user, topic)
    form = None
    status = 200
    if targets and found:
        ids = [c.pk for c in targets]
        communities = targets[0].__class__.objects.filter(pk__in=ids).order_by("name")
        form = MakeIndicatorsForm(request.POST or None, found=found, communities=communities,
                                  topic=topic)
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                try:
                    run = services.make_indicators(
                        request.user, topic, values=data["values"],
                        community=data["community"], tlp=data["tlp"])
                except ServiceError as exc:
                    show_errors(request, exc)
                else:
                    return redirect("feeds:run", run_id=run.uuid)
            status = 400
    elif request.method == "POST":
        raise Http404
    return render(request, "feeds/topic_indicators.html", {
        "topic": topic, "found": found, "form": form}, status=status)

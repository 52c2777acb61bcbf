"""Feeds in the REST API (/api/v1/feeds/…): import a file, read import runs, and the
indicators found in a topic. The files themselves are uploaded as multipart (`files`,
repeatable: a MISP feed's manifest.json and events), up to the API's upload limit; the
exports are plain addresses under /feeds/out/ that take the same Bearer token."""

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status, UploadedFile

from renkei.accounts.models import Organisation
from renkei.api import schemas
from renkei.api.errors import ApiError
from renkei.errors import ServiceError
from renkei.feeds import selectors, services
from renkei.feeds.models import Format, ImportRun
from renkei.feeds.services import Placement
from renkei.feeds.views import run_json
from renkei.sharing.models import TLP, AudienceMode
from renkei.sharing.visibility import access_community, access_topic

router = Router(tags=["feeds"])
NO_ORGANISATIONS = Form([])


class ImportRunOut(Schema):
    id: str
    state: str
    state_label: str
    format: str
    source: str
    community: int
    tlp: str
    finished: bool
    percent: int
    processed: int
    total: int
    received: int
    new: int
    duplicate: int
    failed: int
    skipped: int
    message: str
    failures: list[dict]
    created_at: str
    finished_at: str | None


class FoundOut(Schema):
    kind: str
    value: str


def answers(schema, status: int = 200) -> dict:
    return {status: schema, 400: schemas.Error, 401: schemas.Error, 404: schemas.Error}


@router.post("/imports", response=answers(ImportRunOut, 201), url_name="feeds_import")
def create_import(request: HttpRequest, files: File[list[UploadedFile]],
                  community: int = Form(...), format: str = Form(Format.AUTO),
                  tlp: str = Form(TLP.GREEN), audience_mode: str = Form(AudienceMode.MEMBERS),
                  audience_organisations: list[int] = NO_ORGANISATIONS,
                  valid_days: int | None = Form(None)):
    """Import a STIX 2.1 bundle, a MISP event, a MISP feed (manifest.json plus event files),
    a CSV file or a plain list into a community you may post in. Small files are imported at
    once (state `done` or `failed`), larger ones as a job: poll `GET /feeds/imports/{id}`."""
    user = request.auth
    target = access_community(user, community)
    if valid_days is not None and not 1 <= valid_days <= 3650:
        raise ServiceError(_("Validity is between 1 and 3650 days."))
    organisations = tuple(Organisation.objects.filter(pk__in=audience_organisations))
    if len(organisations) != len(set(audience_organisations)):
        raise ServiceError(_("An organisation in the audience does not exist."))
    placement = Placement(
        community=target, tlp=tlp, audience_mode=audience_mode, organisations=organisations,
        valid_until=timezone.now() + timedelta(days=valid_days) if valid_days else None)
    run = services.start_import(user=user, placement=placement, fmt=format,
                                origin=ImportRun.Origin.API,
                                files=[(f.name or "upload", f.read()) for f in files])
    run.refresh_from_db()
    if run.state == ImportRun.State.FAILED:
        # The input as a whole was unusable (not JSON, no known CSV column): nothing stored.
        raise ApiError(400, run.message, run=str(run.uuid))
    return Status(201, run_json(run))


@router.get("/imports", response=answers(list[ImportRunOut]), url_name="feeds_imports")
def list_imports(request: HttpRequest):
    """Your 50 most recent imports."""
    return [run_json(run) for run in selectors.readable_runs(request.auth)[:50]]


@router.get("/imports/{run_id}", response=answers(ImportRunOut), url_name="feeds_import_run")
def import_detail(request: HttpRequest, run_id: str):
    return run_json(selectors.access_run(request.auth, run_id))


@router.get("/topics/{public_id}/indicators", response=answers(list[FoundOut]),
            url_name="feeds_topic_indicators")
def topic_indicators(request: HttpRequest, public_id: str):
    """The IP addresses, domains, URLs, hashes, CVE ids and e-mail addresses in a topic you may
    read (its title, body and comments), refanged and each once."""
    topic = access_topic(request.auth, public_id)
    return [{"kind": f.kind, "value": f.value} for f in services.found_in_topic(topic)]

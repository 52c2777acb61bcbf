"""`renkei manage load_risk_catalogue [FILE.json]`: publish the risk catalogue.

Without a file: the shipped default becomes version 1 when there is no published version yet
(the pages do the same on first use). With a file: its JSON is checked like an edit in the UI
and published as the next version; rounds already created keep theirs.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from renkei.risk.catalogue import validate
from renkei.risk.models import CatalogueVersion
from renkei.risk.services import ensure_catalogue


class Command(BaseCommand):
    help = "Publish the default risk catalogue, or a catalogue from a JSON file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", nargs="?", help="a catalogue as JSON (see catalogue_data.py)")
        parser.add_argument("--note", default="", help="what changed")

    def handle(self, *args, file=None, note="", **options) -> None:
        if file is None:
            version = ensure_catalogue()
            self.stdout.write(f"risk catalogue v{version.number} is published")
            return
        try:
            data = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{file}: {exc}") from None
        errors = validate(data)
        if errors:
            raise CommandError("\n".join(errors))
        with transaction.atomic():
            number = (CatalogueVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
            version = CatalogueVersion.objects.create(
                number=number, state=CatalogueVersion.State.PUBLISHED, data=data,
                note=note[:300], published_at=timezone.now())
        self.stdout.write(f"risk catalogue v{version.number} is published")

"""List items already passed on against the pass-on rule, for the centre to review."""

import json

from django.core.management.base import BaseCommand
from django.utils import translation

from renkei.sharing.audit_passing import findings


class Command(BaseCommand):
    help = "List items already passed on against the TLP pass-on rule (changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument("--language", default="ja", choices=["ja", "en"])

    def handle(self, *args, **options):
        count = 0
        with translation.override(options["language"]):
            for finding in findings():
                count += 1
                if options["json"]:
                    self.stdout.write(json.dumps(finding.__dict__, ensure_ascii=False))
                else:
                    self.stdout.write(f"{finding.kind}\t{finding.item}\t{finding.where}\t"
                                      f"{finding.reason}")
        self.stderr.write(f"renkei: {count} item(s) passed on against the rule")

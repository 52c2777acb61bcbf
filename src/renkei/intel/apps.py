from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntelConfig(AppConfig):
    name = "renkei.intel"
    label = "intel"
    verbose_name = _("Indicators: STIX store and TAXII server")
    passing_findings = "renkei.intel.passing_audit.findings"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "renkei.communities"
    label = "communities"
    verbose_name = _("Communities and topics")
    passing_findings = "renkei.communities.passing_audit.findings"

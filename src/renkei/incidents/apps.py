from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "renkei.incidents"
    label = "incidents"
    verbose_name = _("Consultation window and incident coordination")

"""Forms of the feeds pages: they parse input; the services decide and write."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkei.accounts.models import Organisation
from renkei.communities.forms import MultipleFileField
from renkei.feeds.models import Format
from renkei.sharing.models import TLP, AudienceMode
from renkei.sharing.permissions import postable_communities


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class ImportForm(forms.Form):
    files = MultipleFileField(
        label=_("Files"),
        help_text=_("A STIX 2.1 bundle, a MISP event, a CSV file or a plain list; for a MISP "
                    "feed, manifest.json together with its event files."))
    format = forms.ChoiceField(label=_("Format"), choices=Format.choices, initial=Format.AUTO)
    community = CommunityChoiceField(label=_("Community"), queryset=None)
    tlp = forms.ChoiceField(label="TLP", choices=TLP.choices, initial=TLP.GREEN,
                            help_text=_("Objects without a marking get this TLP; values from "
                                        "MISP, CSV and lists never get less."))
    audience_mode = forms.ChoiceField(label=_("Audience"), choices=AudienceMode.choices,
                                      initial=AudienceMode.MEMBERS)
    audience_organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations in the audience"), required=False,
        queryset=Organisation.objects.filter(is_active=True).order_by("name"))
    valid_days = forms.IntegerField(
        label=_("Indicators valid for (days)"), required=False, min_value=1, max_value=3650,
        help_text=_("Empty: they do not expire."))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = postable_communities(user).order_by("name")

    def clean(self):
        data = super().clean()
        if not data.get("files"):
            self.add_error("files", _("Choose a file to import."))
        days = data.get("valid_days")
        data["valid_until"] = timezone.now() + timedelta(days=days) if days else None
        return data


class FeedSourceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    url = forms.URLField(label=_("URL"), max_length=1000, assume_scheme="https")
    format = forms.ChoiceField(label=_("Format"), choices=Format.choices)
    community = CommunityChoiceField(label=_("Community"), queryset=None)
    tlp = forms.ChoiceField(label="TLP", choices=TLP.choices, initial=TLP.GREEN)
    interval_minutes = forms.IntegerField(label=_("Fetch every (minutes)"), initial=60,
                                          min_value=1)
    valid_days = forms.IntegerField(label=_("Indicators valid for (days)"), required=False)
    authorization = forms.CharField(label=_("Authorization header"), required=False,
                                    max_length=500)
    enabled = forms.BooleanField(label=_("Enabled"), required=False)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = postable_communities(user).order_by("name")


class MakeIndicatorsForm(forms.Form):
    values = forms.MultipleChoiceField(label=_("Values"), choices=(),
                                       widget=forms.CheckboxSelectMultiple)
    community = CommunityChoiceField(label=_("Community"), queryset=None)
    tlp = forms.ChoiceField(label="TLP", choices=TLP.choices)

    def __init__(self, *args, found, communities, topic, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["values"].choices = [(f"{f.kind}:{f.value}", f.value) for f in found]
        self.fields["community"].queryset = communities
        self.fields["community"].initial = topic.community_id
        self.fields["tlp"].initial = topic.tlp

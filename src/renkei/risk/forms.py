from django import forms
from django.utils.translation import gettext_lazy as _

from renkei.accounts.models import Organisation, OrganisationKind, Sector
from renkei.risk.models import Approach


class RoundForm(forms.Form):
    number = forms.IntegerField(label=_("Round number"), min_value=1, required=False,
                                help_text=_("Left blank: the next number."))
    title = forms.CharField(label=_("Title"), max_length=200)
    opens_on = forms.DateField(label=_("Opens on"),
                               widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = forms.DateField(label=_("Closes on"),
                                widget=forms.DateInput(attrs={"type": "date"}))
    approach = forms.ChoiceField(label=_("Approach"), choices=Approach.choices,
                                 initial=Approach.STANDARD)
    sectors = forms.MultipleChoiceField(label=_("Target sectors"), choices=Sector.choices,
                                        required=False,
                                        widget=forms.CheckboxSelectMultiple)
    organisations = forms.ModelMultipleChoiceField(
        label=_("Further target organisations"), required=False,
        queryset=Organisation.objects.filter(
            is_active=True, kind=OrganisationKind.PARTICIPANT).order_by("name"),
        widget=forms.CheckboxSelectMultiple)


class CatalogueForm(forms.Form):
    text = forms.CharField(label=_("Catalogue (JSON)"), widget=forms.Textarea(
        attrs={"rows": 30, "spellcheck": "false", "class": "risk-code"}))
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Filled-in template (.xlsx)"))

from django import forms
from django.utils.translation import gettext_lazy as _

from renkei.communities.models import ReaderLevel, TopicTag
from renkei.sharing.models import TLP

LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


class PeriodForm(forms.Form):
    start = forms.DateTimeField(label=_("From"), input_formats=LOCAL_INPUT,
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                           format="%Y-%m-%dT%H:%M"))
    end = forms.DateTimeField(label=_("Until"), input_formats=LOCAL_INPUT,
                              widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                         format="%Y-%m-%dT%H:%M"))


class SummaryNewForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    draft = forms.CharField(label=_("Draft (as written; the sanitiser removes what identifies "
                                    "the victim)"), widget=forms.Textarea(attrs={"rows": 14}))
    extra_terms = forms.CharField(
        label=_("Further strings to remove (one per line)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}))


class SummaryEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    sanitised = forms.CharField(label=_("Sanitised text (correct it here)"),
                                widget=forms.Textarea(attrs={"rows": 16}))
    draft = forms.CharField(label=_("Draft"), widget=forms.Textarea(attrs={"rows": 8}))
    extra_terms = forms.CharField(
        label=_("Further strings to remove (one per line)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    confirmed = forms.BooleanField(
        label=_("I have compared the sanitised text with the original, and it does not "
                "identify the victim."), required=False)


class PublicationForm(forms.Form):
    communities = forms.ModelMultipleChoiceField(
        label=_("Broadcast communities"), queryset=None, widget=forms.CheckboxSelectMultiple,
        required=False)
    tlp = forms.ChoiceField(label="TLP", initial=TLP.GREEN,
                            choices=[c for c in TLP.choices if c[0] != TLP.RED])
    reader_level = forms.ChoiceField(label=_("Reader level"), choices=ReaderLevel.choices,
                                     initial=ReaderLevel.GENERAL)
    tag = forms.ChoiceField(label=_("Tag"), choices=TopicTag.choices, required=False)

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["communities"].queryset = communities
        if not self.is_bound:
            self.initial.setdefault("communities", list(communities))


class SummaryPublishForm(PublicationForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class AliasForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    alias = forms.CharField(label=_("Alias (short name, reading, romanised name or domain)"),
                            max_length=200)

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

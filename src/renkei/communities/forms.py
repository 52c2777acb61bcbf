"""Forms for the community and topic pages: they parse input; the services decide and write."""

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from renkei.accounts.models import Organisation, User
from renkei.communities import services
from renkei.communities.models import (
    Community,
    CommunityKind,
    InformationKind,
    ReaderLevel,
    Topic,
    TopicTag,
)
from renkei.sharing.models import TLP, AudienceMode


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one `<input type=file multiple>`; cleans to a list (maybe empty)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        single_clean = super().clean
        if isinstance(data, (list, tuple)):
            return [single_clean(item, initial) for item in data if item]
        return [single_clean(data, initial)] if data else []


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


def audience_choices(community: Community) -> tuple[QuerySet, QuerySet]:
    """Organisations and people a chosen audience may name in this community."""
    organisations = Organisation.objects.filter(is_active=True)
    users = User.objects.filter(is_active=True, organisation__is_active=True).select_related(
        "organisation"
    )
    allowed = services.audience_candidates(community)
    if allowed is not None:
        org_ids, user_ids = allowed
        organisations = organisations.filter(id__in=org_ids)
        users = users.filter(Q(id__in=user_ids) | Q(organisation_id__in=org_ids))
    return organisations, users


class CommunityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), widget=forms.RadioSelect, initial=CommunityKind.CLOSED,
        choices=[
            (CommunityKind.CLOSED, _("Closed: members join by invitation or approval")),
            (CommunityKind.OPEN, _("Open: any participant may join")),
        ],
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False,
                                  max_length=5000)


class TopicForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=services.TITLE_MAX)
    tag = forms.ChoiceField(label=_("Tag"), choices=TopicTag.choices, required=False)
    # No default kind: the poster classifies each topic on purpose.
    kind = forms.ChoiceField(label=_("Kind of information"),
                             choices=[("", "---------"), *InformationKind.choices])
    reader_level = forms.ChoiceField(label=_("Reader level"), choices=ReaderLevel.choices,
                                     initial=ReaderLevel.GENERAL)
    tlp = forms.ChoiceField(label="TLP", choices=TLP.choices, initial=TLP.GREEN)
    audience_mode = forms.ChoiceField(
        label=_("Who may read it"), choices=AudienceMode.choices, initial=AudienceMode.MEMBERS,
        widget=forms.RadioSelect(attrs={"class": "audience-mode"}),
    )
    audience_organisations = forms.ModelMultipleChoiceField(
        label=_("Chosen organisations"), queryset=Organisation.objects.none(), required=False,
    )
    audience_users = UserChoiceField(
        label=_("Chosen people"), queryset=User.objects.none(), required=False,
    )
    body = forms.CharField(label=_("Body (Markdown)"), widget=forms.Textarea, required=False,
                           max_length=services.BODY_MAX, strip=False)
    attachments = MultipleFileField(label=_("Attachments"))
    pinned = forms.BooleanField(label=_("Must-see topic"), required=False)

    def __init__(self, *args, community: Community, allow_pin: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        organisations, users = audience_choices(community)
        self.fields["audience_organisations"].queryset = organisations
        self.fields["audience_users"].queryset = users
        if not allow_pin:
            del self.fields["pinned"]

    @staticmethod
    def initial_for(topic: Topic) -> dict:
        return {
            "title": topic.title, "tag": topic.tag, "kind": topic.kind,
            "reader_level": topic.reader_level, "tlp": topic.tlp,
            "audience_mode": topic.audience_mode, "body": topic.body,
            "audience_organisations": [o.pk for o in topic.audience_organisations.all()],
            "audience_users": [u.pk for u in topic.audience_users.all()],
        }

    def service_arguments(self) -> dict:
        """The cleaned data as keyword arguments of `post_topic` / `edit_topic`."""
        data = self.cleaned_data
        return {
            "title": data["title"], "tag": data["tag"], "kind": data["kind"],
            "reader_level": data["reader_level"], "tlp": data["tlp"],
            "audience_mode": data["audience_mode"],
            "audience_organisations": data["audience_organisations"],
            "audience_users": data["audience_users"],
            "body": data["body"], "attachments": data["attachments"],
        }


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment (Markdown)"), widget=forms.Textarea,
                           max_length=services.COMMENT_MAX)
    attachments = MultipleFileField(label=_("Attachments"))


class ReshareForm(forms.Form):
    # Rendering `required` on a select makes Django fetch its first choice in an extra query.
    use_required_attribute = False

    community = forms.ModelChoiceField(
        label=_("Share into"), queryset=Community.objects.none(), empty_label=None,
        error_messages={"required": _("You may not post in this community."),
                        "invalid_choice": _("You may not post in this community.")})

    def __init__(self, *args, targets: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = targets


class MemberAddForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), required=False,
        queryset=Organisation.objects.filter(is_active=True),
    )
    email = forms.EmailField(label=_("or a person's e-mail address"), required=False)
    is_manager = forms.BooleanField(label=_("Manager (people only)"), required=False)
    invite = forms.BooleanField(
        label=_("Invite only (they join when they accept)"), required=False,
    )

    def clean(self) -> dict:
        data = super().clean()
        organisation, email = data.get("organisation"), data.get("email")
        if bool(organisation) == bool(email):
            raise forms.ValidationError(_("Choose either an organisation or a person."))
        data["user"] = None
        if email:
            data["user"] = User.objects.filter(email__iexact=email, is_active=True).first()
            if data["user"] is None:
                self.add_error("email", _("Nobody has this e-mail address."))
        return data

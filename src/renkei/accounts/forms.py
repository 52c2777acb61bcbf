"""Forms only shape input; the services in accounts/services.py decide what is allowed."""

import zoneinfo
from functools import cache

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from renkei.accounts.models import CentreRole, Organisation, OrganisationKind, Sector, User


@cache
def _time_zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in sorted(zoneinfo.available_timezones())]


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app; whether it is right is the service's call."""

    code = forms.CharField(
        label=_("Code from your authenticator app"), max_length=12,
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*",
            "autofocus": True,
        }),
    )


class PreferencesForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_time_zone_choices)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("new_password") != data.get("new_password_again"):
            raise forms.ValidationError(_("The two new passwords differ."))
        return data


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What the token is for, e.g. the script that uses it."))
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=3650,
                              initial=settings.API_TOKEN_DEFAULT_DAYS)


def _role_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=_("Centre roles"), choices=CentreRole.choices,
                                     required=False, widget=forms.CheckboxSelectMultiple)


class _MemberFieldsMixin:
    """Centre roles exist only in the centre; elsewhere the field is not offered at all."""

    def _drop_roles_unless_centre(self, organisation: Organisation) -> None:
        if not organisation.is_centre:
            del self.fields["roles"]

    def roles(self) -> list[str]:
        return list(self.cleaned_data.get("roles", []))


class MemberCreateForm(_MemberFieldsMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=150)
    password = forms.CharField(
        label=_("Password"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty: the person cannot sign in until a password is set."),
    )
    is_org_admin = forms.BooleanField(label=_("Organisation admin"), required=False)
    roles = _role_field()

    def __init__(self, *args, organisation: Organisation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._drop_roles_unless_centre(organisation)


class MemberEditForm(_MemberFieldsMixin, forms.Form):
    is_org_admin = forms.BooleanField(label=_("Organisation admin"), required=False)
    roles = _role_field()
    is_active = forms.BooleanField(label=_("Active (may sign in)"), required=False)

    def __init__(self, *args, member: User, **kwargs) -> None:
        kwargs.setdefault("initial", {
            "is_org_admin": member.is_org_admin,
            "is_active": member.is_active,
            "roles": sorted(member.centre_roles()),
        })
        super().__init__(*args, **kwargs)
        self._drop_roles_unless_centre(member.organisation)


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    sector = forms.ChoiceField(label=_("Sector"), required=False,
                               choices=[("", "—"), *Sector.choices])
    supervising_ministry = forms.ModelChoiceField(
        label=_("Supervising ministry"), required=False,
        queryset=Organisation.objects.filter(kind=OrganisationKind.MINISTRY),
    )

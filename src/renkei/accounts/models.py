import hashlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    CENTRE = "centre", _("Coordination centre")
    PARTICIPANT = "participant", _("Participant")
    AGENCY = "agency", _("Security agency")
    LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")
    MINISTRY = "ministry", _("Ministry")
    VENDOR = "vendor", _("CTI vendor")


class Sector(models.TextChoices):
    """The 23 critical-service sectors of the seed, plus competition venues."""

    TELECOM = "telecom", _("Telecommunications")
    BROADCASTING = "broadcasting", _("Broadcasting")
    FINANCE = "finance", _("Finance")
    AVIATION = "aviation", _("Aviation")
    RAILWAY = "railway", _("Railway")
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", _("Gas")
    WATER = "water", _("Water supply")
    LOGISTICS = "logistics", _("Logistics")
    CREDIT = "credit", _("Credit cards")
    LOCAL_GOVERNMENT = "local_government", _("Local government services")
    SEWERAGE = "sewerage", _("Sewerage")
    AIRPORTS = "airports", _("Airports")
    TRAFFIC_CONTROL = "traffic_control", _("Road, maritime and air traffic control")
    EMERGENCY_CALLS = "emergency_calls", _("Emergency calls")
    WEATHER = "weather", _("Weather and disaster information")
    IMMIGRATION = "immigration", _("Immigration control")
    EXPRESSWAYS = "expressways", _("Expressways")
    HEAT_SUPPLY = "heat_supply", _("Heat supply")
    BUSES = "buses", _("Buses")
    SECURITY_GUARDS = "security_guards", _("Security guards")
    TRAVEL = "travel", _("Travel")
    HOSPITALS = "hospitals", _("Hospitals")
    VENUE = "venue", _("Venue")


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices, blank=True)
    supervising_ministry = models.ForeignKey(
        "self",
        verbose_name=_("supervising ministry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_organisations",
        limit_choices_to={"kind": OrganisationKind.MINISTRY},
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def is_centre(self) -> bool:
        return self.kind == OrganisationKind.CENTRE


class CentreRole(models.TextChoices):
    COMMANDER = "commander", _("Commander")
    INCIDENT_CONTROLLER = "incident_controller", _("Incident controller")
    RESPONDER = "responder", _("Responder")
    LIAISON = "liaison", _("Liaison")
    DUTY_OFFICER = "duty_officer", _("Duty officer")
    ANALYST = "analyst", _("Analyst")
    RISK_ASSESSOR = "risk_assessor", _("Risk assessor")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=150)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT,
        related_name="users",
    )
    is_org_admin = models.BooleanField(_("organisation admin"), default=False)
    is_platform_admin = models.BooleanField(_("platform admin"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    language = models.CharField(
        _("language"), max_length=8, choices=[("ja", "日本語"), ("en", "English")], default="ja"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tokyo")
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_confirmed = models.BooleanField(default=False)
    # The TOTP time step last accepted: a code is never accepted twice.
    totp_last_step = models.BigIntegerField(default=0)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """As JISP shows people: `組織名) 氏名`."""
        return f"{self.organisation.name}) {self.name}"

    @property
    def is_centre_staff(self) -> bool:
        return self.organisation.kind == OrganisationKind.CENTRE

    @property
    def requires_second_factor(self) -> bool:
        return self.is_centre_staff or self.is_platform_admin or self.totp_confirmed

    @property
    def has_second_factor(self) -> bool:
        return bool(self.totp_secret) and self.totp_confirmed

    def centre_roles(self) -> set[str]:
        return {role.role for role in self.role_assignments.all()}

    # Django's auth machinery and the admin-less site only need these two.
    @property
    def is_staff(self) -> bool:
        return self.is_platform_admin

    def get_full_name(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A centre role held by a member of the centre; one person may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=30, choices=CentreRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="unique_role_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user.email}: {self.get_role_display()}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuditEntry(models.Model):
    """Who did what to which object. Written by services, never edited."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"

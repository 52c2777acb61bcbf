"""`renkei demo`: load the demo world (see `data`) through the services, and print its logins."""

import base64
import hashlib
import hmac
import random
import sys
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import import_module
from zoneinfo import ZoneInfo

import pyotp
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renkei.accounts.models import CentreRole, Organisation, OrganisationKind, User
from renkei.accounts.services import create_organisation, create_user, set_totp_secret
from renkei.communities import services as community_services
from renkei.communities.models import Community, Topic
from renkei.demo import data
from renkei.errors import ServiceError
from renkei.sharing.visibility import readable_topics

SIGN_IN_URL = "http://127.0.0.1:8000/"
WEEKDAYS = "月火水木金土日"
# The event's calendar is Japanese whatever the server's time zone.
TOKYO = ZoneInfo("Asia/Tokyo")
BROADCAST_READERS = 40


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    name: str  # as shown in the product: `組織名) 氏名`
    organisation: str
    role: str
    totp_secret: str | None = None  # centre staff only: they must sign in with a second factor


def demo_totp_secret(email: str) -> str:
    """A fixed secret per person, so the logins can be printed again at any later start."""
    digest = hmac.new(data.DEMO_SEED.encode(), email.encode(), hashlib.sha1).digest()
    return base64.b32encode(digest).decode()


def _email(org: data.Org, person: data.Person) -> str:
    return f"{person.local}@{org.domain}"


# --- loading ----------------------------------------------------------------------------------

# Each part of the domain adds its own demo data on top of the organisations, people and
# communities built here; `load(builder)` reads builder.orgs, .users, .communities and .now.
DOMAIN_DEMOS = (
    "renkei.incidents.demo",
    "renkei.situation.demo",
    "renkei.intel.demo",
    "renkei.feeds.demo",
    "renkei.risk.demo",
    "renkei.evaluations.demo",
)


def load_demo_world(now: datetime | None = None) -> list[DemoLogin]:
    """Build the demo world in one transaction; if it is already there, just return its logins."""
    if _already_loaded():
        return demo_logins()
    _refuse_if_taken()
    now = now or timezone.now()
    with transaction.atomic():
        builder = _Builder(now)
        builder.make_organisations()
        builder.make_people()
        builder.make_communities()
        builder.post_bulletins()
        builder.react()
        for module in DOMAIN_DEMOS:
            import_module(module).load(builder)
    return demo_logins()


def _already_loaded() -> bool:
    """The demo's commander in the demo's centre: a real centre of the same name is not it."""
    centre = data.ORGANISATIONS[0]
    return User.objects.filter(
        email=_email(centre, centre.people[0]), organisation__name=centre.name,
        organisation__kind=OrganisationKind.CENTRE,
    ).exists()


def _refuse_if_taken() -> None:
    """The demo belongs in an empty database: never mix it with a real centre or real people."""
    if Organisation.objects.filter(kind=OrganisationKind.CENTRE).exists():
        raise ServiceError(_("This database already has a coordination centre; load the demo "
                             "world into an empty database."))
    names = [org.name for org in data.ORGANISATIONS]
    emails = [_email(org, p) for org in data.ORGANISATIONS for p in org.people]
    if (Organisation.objects.filter(name__in=names).exists()
            or User.objects.filter(email__in=emails).exists()):
        raise ServiceError(_("Organisations or people with the demo world's names already exist; "
                             "load the demo world into an empty database."))


class _Builder:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.today = timezone.localtime(now, TOKYO).date()
        self.rng = random.Random(data.DEMO_SEED)
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        self.admins: dict[str, User] = {}
        self.communities: dict[str, Community] = {}
        self.posted: list[tuple[Topic, data.Bulletin]] = []

    # organisations and people

    def make_organisations(self) -> None:
        # Ministries first: participants name them as their supervisors.
        first = sorted(data.ORGANISATIONS, key=lambda o: (o.key != data.CENTRE, bool(o.ministry)))
        for spec in first:
            self.orgs[spec.key] = create_organisation(
                name=spec.name, kind=spec.kind, sector=spec.sector,
                supervising_ministry=self.orgs[spec.ministry] if spec.ministry else None,
            )

    def make_people(self) -> None:
        validate_password(data.DEMO_PASSWORD)
        for spec in data.ORGANISATIONS:
            for person in spec.people:
                email = _email(spec, person)
                user = create_user(
                    email=email, name=person.name, organisation=self.orgs[spec.key],
                    is_org_admin=person.admin, is_platform_admin=person.platform_admin,
                    roles=list(person.roles), language=person.language,
                )
                if spec.kind == OrganisationKind.CENTRE:
                    set_totp_secret(user, demo_totp_secret(email))
                self.users[f"{spec.key}.{person.local}"] = user
                if person.admin:
                    self.admins.setdefault(spec.key, user)
        # Argon2 is slow on purpose; hashing one shared demo password a hundred times would make
        # the demo take many seconds, so every account gets the same hash, computed once.
        User.objects.filter(pk__in=[u.pk for u in self.users.values()]).update(
            password=make_password(data.DEMO_PASSWORD)
        )

    def person(self, key: str) -> User:
        """`org.local` names one person; a bare organisation key names its admin."""
        return self.users[key] if "." in key else self.admins[key]

    # communities

    def make_communities(self) -> None:
        for spec in data.COMMUNITIES:
            owner_admin = self.admins[spec.owner]
            fixed = spec.kind not in {"open", "closed"}
            community = community_services.create_community(
                actor=None if fixed else owner_admin, name=spec.name, kind=spec.kind,
                description=spec.description, owner=self.orgs[spec.owner],
            )
            for key in spec.members:
                if key != spec.owner:
                    community_services.add_member(actor=owner_admin, community=community,
                                                  organisation=self.orgs[key])
            for key in spec.people:
                community_services.add_member(actor=owner_admin, community=community,
                                              user=self.person(key))
            self.communities[spec.key] = community

    def community(self, key: str) -> Community:
        if key.startswith("notice:"):
            return self.orgs[key.removeprefix("notice:")].notification_channel
        return self.communities[key]

    # bulletins

    def at(self, day: int, hhmm: str) -> datetime:
        hour, minute = map(int, hhmm.split(":"))
        moment = datetime.combine(self.today + timedelta(days=day), time(hour, minute),
                                  tzinfo=TOKYO)
        return min(moment, self.now - timedelta(minutes=5))

    def dates(self, day: int) -> dict[str, str]:
        named = {name: self.today + timedelta(days=offset)
                 for name, offset in data.EVENT_DAYS.items()}
        own = self.today + timedelta(days=day)
        named.update(day=own, prev=own - timedelta(days=1), next=own + timedelta(days=1))
        return {name: _japanese_date(value) for name, value in named.items()}

    def post_bulletins(self) -> None:
        ordered = sorted(data.BULLETINS, key=lambda b: self.at(b.day, b.time))
        for spec in ordered:
            words = self.dates(spec.day)
            topic = community_services.post_topic(
                actor=self.person(spec.author), community=self.community(spec.community),
                title=spec.title.format_map(words), body=spec.body.format_map(words),
                kind=spec.kind, tag=spec.tag, reader_level=spec.level, tlp=spec.tlp,
                audience_mode="chosen" if spec.orgs or spec.people else "members",
                audience_organisations=[self.orgs[k] for k in spec.orgs],
                audience_users=[self.person(k) for k in spec.people],
                pinned=spec.pinned, now=self.at(spec.day, spec.time),
                attachments=[SimpleUploadedFile(name, text.encode(), content_type="text/csv")
                             for name, text in spec.files],
            )
            self.posted.append((topic, spec))
        self.post_replies()
        for topic, spec in self.posted:
            if spec.pin_later:
                community_services.set_pinned(actor=self.person(data.COMMANDER), topic=topic,
                                              pinned=True)

    def post_replies(self) -> None:
        """Comments in time order, so each topic's last update is its latest comment."""
        queue = []
        for topic, spec in self.posted:
            start = self.at(spec.day, spec.time)
            for reply in spec.replies:
                moment = start + timedelta(minutes=reply.after_minutes)
                queue.append((moment, topic, reply))
        queue.sort(key=lambda item: item[0])
        latest = self.now - timedelta(minutes=len(queue) + 1)
        for i, (moment, topic, reply) in enumerate(queue):
            when = min(moment, latest + timedelta(minutes=i))
            community_services.add_comment(actor=self.person(reply.author), topic=topic,
                                           body=reply.body.format_map(self.dates(0)), now=when)

    # いいね！ and views, by people who can read each topic under the visibility rule

    def react(self) -> None:
        readers: dict[int, list[User]] = {}
        for user in sorted(self.users.values(), key=lambda u: u.pk):
            for topic_id in readable_topics(user).values_list("id", flat=True):
                readers.setdefault(topic_id, []).append(user)
        for topic, spec in self.posted:
            others = [u for u in readers.get(topic.pk, []) if u.pk != topic.author_id]
            # In a broadcast everyone is a reader, yet only the keen press いいね！ at once;
            # halving there also keeps the demo quick to load.
            share = spec.reach if len(others) < BROADCAST_READERS else spec.reach / 2
            ackers = self.rng.sample(others, round(len(others) * share))
            start = self.at(spec.day, spec.time)
            for user in ackers:
                community_services.acknowledge(actor=user, topic=topic,
                                               now=self._soon_after(start))
            lookers = [u for u in others if u not in ackers]
            viewers = ackers + self.rng.sample(lookers, len(lookers) // 4)
            for user in viewers:
                community_services.record_view(topic, user)

    def _soon_after(self, start: datetime) -> datetime:
        """Most people read a bulletin within a day or two."""
        moment = start + timedelta(minutes=self.rng.randint(3, 60 * 36))
        return min(moment, self.now)


def _japanese_date(value: date) -> str:
    return f"{value.month}月{value.day}日({WEEKDAYS[value.weekday()]})"


# --- logins -----------------------------------------------------------------------------------

def demo_logins() -> list[DemoLogin]:
    """The logins of the demo world in this database, in the order of the demo's data."""
    emails = [_email(org, p) for org in data.ORGANISATIONS for p in org.people]
    users = {
        u.email: u for u in User.objects.select_related("organisation")
        .prefetch_related("role_assignments").filter(email__in=emails)
    }
    logins = []
    for email in emails:
        user = users.get(email)
        if user is None:
            continue
        secret = demo_totp_secret(email) if user.is_centre_staff else None
        logins.append(DemoLogin(
            email=email, password=data.DEMO_PASSWORD, name=user.display_name,
            organisation=user.organisation.name, role=_role(user),
            # Someone who re-enrolled their second factor has a secret we cannot know.
            totp_secret=secret if secret and user.totp_secret == secret else None,
        ))
    return logins


def _role(user: User) -> str:
    parts = [str(CentreRole(r).label) for r in sorted(user.centre_roles())]
    if user.is_platform_admin:
        parts.append(_("Platform admin"))
    if user.is_org_admin:
        parts.append(_("Organisation admin"))
    return ", ".join(parts) or _("Member")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _table(rows: list[list[str]], out) -> None:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        cells = [_pad(cell, w) for cell, w in zip(row[:-1], widths, strict=False)] + [row[-1]]
        print("  " + "  ".join(cells).rstrip(), file=out)
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths), file=out)


def print_logins(logins: list[DemoLogin], out=None, url: str = SIGN_IN_URL) -> None:
    out = out or sys.stdout
    if not logins:
        print(_("No demo logins: this database does not hold the demo world."), file=out)
        return
    password = logins[0].password
    print(file=out)
    print(_("renkei demo world: sign in at %(url)s") % {"url": url}, file=out)
    print(_("Every demo account has the password: %(password)s") % {"password": password},
          file=out)

    staff = [login for login in logins if login.totp_secret]
    if staff:
        print(file=out)
        print(_("Coordination centre staff: two-factor authentication is required. Add the "
                "secret to an authenticator app, or type the current code shown here."), file=out)
        rows = [[_("E-mail"), _("Password"), _("TOTP secret"), _("Code now"), _("Role"),
                 _("Who")]]
        rows += [[s.email, s.password, s.totp_secret, pyotp.TOTP(s.totp_secret).now(), s.role,
                  s.name] for s in staff]
        _table(rows, out)
        print(_("  A code is valid for 30 seconds and accepted once. For a fresh one, run:"),
              file=out)
        print(f"    {sys.executable} -c \"import pyotp; "
              f"print(pyotp.TOTP('{staff[0].totp_secret}').now())\"", file=out)

    others = [login for login in logins if not login.totp_secret]
    if others:
        print(file=out)
        print(_("Organisations (no second factor needed):"), file=out)
        rows = [[_("E-mail"), _("Password"), _("Role"), _("Who")]]
        rows += [[o.email, o.password, o.role, o.name] for o in others]
        _table(rows, out)
    print(file=out)

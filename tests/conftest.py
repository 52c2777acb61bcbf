"""The shared test world: a centre, two participants, a ministry, an agency, their communities.

Alice (alpha admin) owns the closed ISAC; Bob (beta member) is in it in person although beta is
not; Charlie (gamma) belongs to nothing and must see nothing of theirs.
"""

import sqlite3
from types import SimpleNamespace

import pyotp
import pytest
from django.db import connection
from django.utils import translation

from renkei.accounts.models import OrganisationKind
from renkei.accounts.services import create_organisation, create_user, set_totp_secret
from renkei.communities import services as community_services
from renkei.communities.models import CommunityKind

PASSWORD = "tsukuba-kasumi-2020"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    # The middleware activates the signed-in person's language for the thread and nothing turns
    # it off between tests; each test starts in the default language (Japanese), as a request
    # without a preference would.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _live_environment(request):
    """Tests with real transactions end by emptying every table, the live environment row that
    a migration created included; every database test starts with it in place."""
    database = next((name for name in ("transactional_db", "db") if name in request.fixturenames),
                    None)
    marker = request.node.get_closest_marker("django_db")
    if database is None and marker is not None:
        database = "transactional_db" if marker.kwargs.get("transaction") else "db"
    if database is None:
        return
    request.getfixturevalue(database)  # autouse fixtures run first: open the database now
    from renkei.sharing.models import LIVE_ENVIRONMENT_ID, Environment

    Environment.objects.get_or_create(
        pk=LIVE_ENVIRONMENT_ID, defaults={"name": "本番", "kind": Environment.Kind.LIVE}
    )


@pytest.fixture(autouse=True)
def _no_wall_clock_schedules(settings):
    # The worker's tickers would post daily bulletins and send digests into any test that runs
    # the job queue, depending on the hour the suite runs; the tests of those schedules turn
    # them on and give the time themselves.
    settings.SITUATION_SCHEDULE = False
    settings.DIGEST_HOUR = 24  # never reached


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the product's hasher (tests/test_settings.py checks it); tests that create and
    # sign in dozens of people would spend minutes in it, so they use a fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    w = SimpleNamespace()
    w.password = PASSWORD
    w.centre = create_organisation(name="対処調整センター", kind=OrganisationKind.CENTRE)
    w.ministry = create_organisation(name="総務省", kind=OrganisationKind.MINISTRY)
    w.alpha = create_organisation(name="アルファ通信", kind="participant", sector="telecom",
                                  supervising_ministry=w.ministry)
    w.beta = create_organisation(name="ベータ電力", kind="participant", sector="electricity")
    w.gamma = create_organisation(name="ガンマ鉄道", kind="participant", sector="railway")
    w.agency = create_organisation(name="情報通信研究機構", kind=OrganisationKind.AGENCY)

    def person(email, name, org, **kw):
        return create_user(email=email, name=name, organisation=org, password=PASSWORD, **kw)

    w.commander = person("commander@centre.example", "統括 一郎", w.centre, is_org_admin=True,
                         roles=["commander"])
    w.analyst = person("analyst@centre.example", "分析 花子", w.centre, roles=["analyst"])
    for staff in (w.commander, w.analyst):
        set_totp_secret(staff, pyotp.random_base32())
    w.alice = person("alice@alpha.example", "Alice", w.alpha, is_org_admin=True)
    w.alice2 = person("alice2@alpha.example", "Alice の同僚", w.alpha)
    w.bob = person("bob@beta.example", "Bob", w.beta)
    w.beta_admin = person("admin@beta.example", "ベータ管理者", w.beta, is_org_admin=True)
    w.charlie = person("charlie@gamma.example", "Charlie", w.gamma, is_org_admin=True)
    w.agent = person("agent@agency.example", "機構 三郎", w.agency)

    create = community_services.create_community
    w.general = create(actor=None, name="情報提供（一般）", kind=CommunityKind.BROADCAST,
                       owner=w.centre)
    w.pro = create(actor=None, name="情報提供（プロ）", kind=CommunityKind.BROADCAST,
                   owner=w.centre)
    w.window = create(actor=None, name="そうだんの窓口", kind=CommunityKind.CONSULTATION,
                      owner=w.centre)
    w.manual = create(actor=None, name="マニュアル・FAQ", kind=CommunityKind.MANUAL, owner=w.centre)
    w.isac = create(actor=w.alice, name="通信ISAC", kind=CommunityKind.CLOSED)
    community_services.add_member(actor=w.alice, community=w.isac, user=w.bob)
    w.open = create(actor=w.beta_admin, name="関東地域コミュニティ", kind=CommunityKind.OPEN)
    return w


@pytest.fixture
def post(world):
    """Post a topic with sensible defaults: post(author, community, title, **fields)."""

    def _post(author, community, title="テスト", **fields):
        fields.setdefault("kind", "advisory")
        return community_services.post_topic(actor=author, community=community, title=title,
                                             **fields)

    return _post


@pytest.fixture
def english(world):
    """Assertions read the English texts; every user in the world reads pages in English."""
    for user in (world.alice, world.alice2, world.bob, world.beta_admin, world.charlie,
                 world.commander, world.analyst, world.agent):
        user.language = "en"
        user.save(update_fields=["language"])
    return world


@pytest.fixture
def as_user(client, english):
    """Sign a world person in (without the sign-in pages): as_user(world.bob) -> client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def database_like_production(django_db_serialized_rollback, transactional_db, tmp_path):
    """On SQLite, run on a database file, as production does.

    Rows the migrations seed (content types, classes, catalogues) are restored afterwards, as
    for the browser tests, so whatever runs next finds them whatever the order.

    The SQLite test database lives in memory with a shared cache, where a second writer fails
    at once with "table is locked" instead of waiting for the busy timeout; production uses a
    file with WAL and IMMEDIATE transactions, which is what this test is about. The empty test
    database is copied to a file for the length of the test.
    """
    if connection.vendor != "sqlite":
        yield
        return
    original = connection.settings_dict["NAME"]
    path = tmp_path / "concurrency.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(path)])
    # An in-memory database dies with its last connection; keep it alive while we are away.
    keeper = sqlite3.connect(original, uri=True) if connection.is_in_memory_db() else None
    connection.settings_dict["NAME"] = str(path)  # shared with the threads' connections
    connection.close()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        connection.ensure_connection()
        if keeper is not None:
            keeper.close()

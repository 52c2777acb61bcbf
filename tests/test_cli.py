"""The `renkei` command's administration: organisations, people, tokens (in-process)."""

import pytest

from renkei.accounts.models import ApiToken, Organisation, User, hash_token
from renkei.accounts.services import authenticate_api_token
from renkei.cli import main
from renkei.communities.models import CommunityKind

PASSWORD = "kasumigaseki-2020"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_failed(result, *words: str) -> None:
    code, out, err = result
    assert code != 0, out
    assert err.startswith("renkei: ")
    for word in words:
        assert word in err


# --- organisations -------------------------------------------------------------------------

def test_org_create(world, capsys):
    code, out, _err = run(capsys, "org", "create", "--name", "デルタ空港", "--kind", "participant",
                          "--sector", "airports", "--ministry", "総務省")
    assert code == 0
    org = Organisation.objects.get(name="デルタ空港")
    assert f"created organisation {org.id}: デルタ空港" in out
    assert (org.kind, org.sector, org.supervising_ministry) == ("participant", "airports",
                                                                world.ministry)
    assert org.notification_channel.kind == CommunityKind.NOTIFICATION


def test_the_first_centre_can_be_created_on_an_empty_database(db, capsys):
    code, _out, _err = run(capsys, "org", "create", "--name", "センター", "--kind", "centre")
    assert code == 0
    centre = Organisation.objects.get()
    assert centre.is_centre and centre.notification_channel.owner_organisation == centre


@pytest.mark.parametrize(("argv", "words"), [
    (["--name", "新組織", "--kind", "pirate"], ["pirate"]),
    (["--name", "新組織", "--kind", "participant", "--sector", "mining"], ["mining"]),
    (["--name", "新組織", "--kind", "participant", "--ministry", "存在しない省"], ["存在しない省"]),
    (["--name", "アルファ通信", "--kind", "participant"], ["アルファ通信"]),
    (["--name", "  ", "--kind", "participant"], []),
])
def test_org_create_refuses_bad_input(world, capsys, argv, words):
    before = Organisation.objects.count()
    assert_failed(run(capsys, "org", "create", *argv), *words)
    assert Organisation.objects.count() == before


def test_missing_arguments_stop_with_a_usage_message(world, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["org", "create", "--kind", "participant"])
    assert exit_info.value.code == 2
    assert "--name" in capsys.readouterr().err


# --- people --------------------------------------------------------------------------------

def test_user_create(world, capsys):
    code, out, _err = run(capsys, "user", "create", "--email", "Duty@Centre.Example",
                          "--name", "当直 太郎", "--org", "対処調整センター",
                          "--password", PASSWORD,
                          "--role", "duty_officer", "--role", "liaison", "--org-admin")
    assert code == 0
    user = User.objects.get(email="duty@centre.example")
    assert "対処調整センター) 当直 太郎" in out
    assert user.check_password(PASSWORD) and user.is_org_admin and not user.is_platform_admin
    assert user.centre_roles() == {"duty_officer", "liaison"}


def test_user_create_without_a_password_off_a_terminal(world, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, _out, _err = run(capsys, "user", "create", "--email", "new@beta.example",
                           "--name", "新人", "--org", "ベータ電力")
    assert code == 0
    assert not User.objects.get(email="new@beta.example").has_usable_password()


@pytest.mark.parametrize(("argv", "words"), [
    (["--email", "x@beta.example", "--name", "x", "--org", "無い組織"], ["無い組織"]),
    (["--email", "x@beta.example", "--name", "x", "--org", "ベータ電力", "--role", "commander"],
     []),
    (["--email", "x@beta.example", "--name", "x", "--org", "ベータ電力", "--role", "janitor"],
     ["janitor"]),
    (["--email", "alice@alpha.example", "--name", "x", "--org", "ベータ電力"],
     ["alice@alpha.example"]),
    (["--email", "not-an-email", "--name", "x", "--org", "ベータ電力"], []),
    (["--email", "x@beta.example", "--name", "x", "--org", "ベータ電力", "--password", "123"],
     []),
])
def test_user_create_refuses_bad_input(world, capsys, argv, words):
    before = User.objects.count()
    assert_failed(run(capsys, "user", "create", *argv), *words)
    assert User.objects.count() == before


# --- tokens --------------------------------------------------------------------------------

def test_token_create_prints_the_token_once(world, capsys):
    code, out, err = run(capsys, "token", "create", "--user", "ALICE@alpha.example",
                         "--name", "SIEM", "--days", "30")
    assert code == 0
    raw = out.strip()
    assert authenticate_api_token(raw) == world.alice
    token = ApiToken.objects.get(user=world.alice)
    assert token.key_hash == hash_token(raw) and token.name == "SIEM"
    assert raw not in err and "shown only once" in err


@pytest.mark.parametrize(("argv", "words"), [
    (["--user", "nobody@nowhere.example"], ["nobody@nowhere.example"]),
    (["--user", "alice@alpha.example", "--days", "0"], []),
    (["--user", "alice@alpha.example", "--days", "99999"], []),
])
def test_token_create_refuses_bad_input(world, capsys, argv, words):
    assert_failed(run(capsys, "token", "create", *argv), *words)
    assert not ApiToken.objects.exists()

"""The `renkei` command: serve, migrate, demo, start, and the user/org/token administration."""

import argparse
import os
import sys


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkei.settings")
    import django

    django.setup()


def cmd_migrate(args) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def cmd_serve(args) -> int:
    """gunicorn, not Django's development server, and beside it a job worker (mail goes out in
    the embedded mode too). RENKEI_RUN_WORKER=0 leaves the worker out, for production where
    `renkei worker` runs as its own service."""
    from renkei.envconfig import env_bool

    bind = f"{args.host}:{args.port}"
    print(f"renkei: serving on http://{bind}/", flush=True)
    server = [
        sys.executable, "-m", "gunicorn", "renkei.wsgi:application",
        "--bind", bind, "--workers", str(args.workers), "--threads", str(args.threads),
        "--access-logfile", "-", "--timeout", "120",
    ]
    if not env_bool("RENKEI_RUN_WORKER", True):
        os.execv(sys.executable, server)
        return 0  # not reached
    return _supervise(server, [sys.executable, "-m", "renkei.cli", "worker"])


def _supervise(server: list[str], worker: list[str]) -> int:
    """Run the server and the worker; pass SIGTERM/SIGINT on to both; restart a worker that
    dies (after a pause); stop the worker when the server ends, and end with its exit code."""
    import signal
    import subprocess
    import time

    children = {"server": subprocess.Popen(server), "worker": subprocess.Popen(worker)}
    stopping = False

    def forward(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    restart_at = None
    while (code := children["server"].poll()) is None:
        time.sleep(0.5)
        if stopping or children["worker"].poll() is None:
            continue
        if restart_at is None:
            print("renkei: the job worker stopped; restarting it shortly", file=sys.stderr)
            restart_at = time.monotonic() + 5
        elif time.monotonic() >= restart_at:
            children["worker"], restart_at = subprocess.Popen(worker), None
    worker_process = children["worker"]
    if worker_process.poll() is None:
        worker_process.terminate()
        try:
            worker_process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker_process.kill()
    return code


def cmd_worker(args) -> int:
    """Run background jobs (mail, digests) until stopped; --once: what is due now, then exit."""
    from renkei.jobs.queue import run_worker

    ran = run_worker(once=args.once)
    if args.once:
        print(f"renkei: ran {ran} job(s)")
    return 0


def cmd_demo(args) -> int:
    from renkei.demo.world import load_demo_world, print_logins
    from renkei.errors import ServiceError

    try:
        logins = load_demo_world()
    except ServiceError as exc:
        return _fail("; ".join(exc.messages))
    print_logins(logins)
    return 0


def cmd_start(args) -> int:
    """Migrate, load the demo world if the database is empty, print logins, serve."""
    from renkei.accounts.models import Organisation
    from renkei.demo.world import demo_logins, load_demo_world, print_logins

    cmd_migrate(argparse.Namespace(verbosity=0))
    logins = load_demo_world() if not Organisation.objects.exists() else demo_logins()
    print_logins(logins, url=f"http://{args.host}:{args.port}/")
    from django.db import connections

    connections.close_all()
    return cmd_serve(args)


def _fail(message: str) -> int:
    print(f"renkei: {message}", file=sys.stderr)
    return 2


def cmd_org_create(args) -> int:
    from renkei.accounts.models import Organisation
    from renkei.accounts.services import create_organisation
    from renkei.errors import ServiceError

    ministry = None
    if args.ministry:
        ministry = Organisation.objects.filter(name=args.ministry).first()
        if ministry is None:
            return _fail(f"no organisation named {args.ministry!r}")
    try:
        org = create_organisation(name=args.name, kind=args.kind, sector=args.sector or "",
                                  supervising_ministry=ministry)
    except ServiceError as exc:
        return _fail("; ".join(exc.messages))
    print(f"created organisation {org.id}: {org.name}")
    return 0


def cmd_user_create(args) -> int:
    import getpass

    from renkei.accounts.models import Organisation
    from renkei.accounts.services import create_user
    from renkei.errors import ServiceError

    organisation = Organisation.objects.filter(name=args.org).first()
    if organisation is None:
        return _fail(f"no organisation named {args.org!r}")
    password = args.password
    if password is None and sys.stdin.isatty():
        password = getpass.getpass("Password: ")
    try:
        user = create_user(
            email=args.email, name=args.name, organisation=organisation, password=password,
            is_org_admin=args.org_admin, is_platform_admin=args.platform_admin,
            roles=args.role or [],
        )
    except ServiceError as exc:
        return _fail("; ".join(exc.messages))
    print(f"created user {user.email} ({user.display_name})")
    return 0


def cmd_token_create(args) -> int:
    from renkei.accounts.models import User
    from renkei.accounts.services import issue_api_token
    from renkei.errors import ServiceError

    user = User.objects.filter(email=args.user.strip().lower()).first()
    if user is None:
        return _fail(f"no user with e-mail {args.user!r}")
    try:
        token, raw = issue_api_token(user=user, name=args.name, days=args.days)
    except ServiceError as exc:
        return _fail("; ".join(exc.messages))
    print(raw)
    print(f"(token {token.prefix}… for {user.email}, expires {token.expires_at:%Y-%m-%d}; "
          "shown only once)", file=sys.stderr)
    return 0


def cmd_passing_audit(args) -> int:
    from django.core.management import call_command

    call_command("passing_audit", json=args.json, language=args.language)
    return 0


def cmd_manage(args) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["renkei manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="renkei", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add_serve_options(p):
        p.add_argument("--host", default=os.environ.get("RENKEI_HOST", "127.0.0.1"))
        p.add_argument("--port", type=int, default=int(os.environ.get("RENKEI_PORT", "8000")))
        p.add_argument("--workers", type=int, default=int(os.environ.get("RENKEI_WORKERS", "3")))
        p.add_argument("--threads", type=int, default=int(os.environ.get("RENKEI_THREADS", "4")))

    p = sub.add_parser("serve", help="serve with gunicorn")
    add_serve_options(p)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("start", help="migrate, load the demo world if empty, print logins, serve")
    add_serve_options(p)
    p.set_defaults(func=cmd_start)
    p = sub.add_parser("worker", help="run background jobs (mail, digests)")
    p.add_argument("--once", action="store_true", help="run the jobs due now, then exit")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("migrate", help="create or update the database")
    p.add_argument("--verbosity", type=int, default=1)
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("demo", help="load the demo world and print its logins")
    p.set_defaults(func=cmd_demo)

    org = sub.add_parser("org", help="organisations").add_subparsers(dest="action", required=True)
    p = org.add_parser("create")
    p.add_argument("--name", required=True)
    p.add_argument("--kind", required=True,
                   help="centre, participant, agency, law_enforcement, ministry, vendor")
    p.add_argument("--sector", default="")
    p.add_argument("--ministry", help="name of the supervising ministry")
    p.set_defaults(func=cmd_org_create)

    user = sub.add_parser("user", help="people").add_subparsers(dest="action", required=True)
    p = user.add_parser("create")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--org", required=True, help="organisation name")
    p.add_argument("--password", help="asked for when omitted on a terminal")
    p.add_argument("--org-admin", action="store_true")
    p.add_argument("--platform-admin", action="store_true")
    p.add_argument("--role", action="append", help="centre role; may be repeated")
    p.set_defaults(func=cmd_user_create)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    p = token.add_parser("create")
    p.add_argument("--user", required=True, help="e-mail of the token's owner")
    p.add_argument("--name", default="cli")
    p.add_argument("--days", type=int, default=None)
    p.set_defaults(func=cmd_token_create)

    p = sub.add_parser("passing-audit",
                       help="list items already passed on against the TLP pass-on rule")
    p.add_argument("--json", action="store_true")
    p.add_argument("--language", default="ja", choices=["ja", "en"])
    p.set_defaults(func=cmd_passing_audit)
    p = sub.add_parser("manage", help="any Django management command")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_django()
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())

"""Measure renkei's pages through real HTTP against a world made by bench/generate_world.py.

    .venv/bin/python bench/pages.py --db postgresql
    .venv/bin/python bench/pages.py --db sqlite --requests 100

Starts `renkei serve` (gunicorn) on the bench database, signs in people with few and with many
memberships through the login form, and times GET of the home page, a community page with many
topics and topic pages, one request at a time, against the same server answering /healthz.
It then looks inside each page in-process: how many SQL queries it runs and which is slowest,
with EXPLAIN ANALYZE of that one. Results: bench/results/pages-<db>-<date>.{md,json}.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from generate_world import (  # noqa: E402 - a script beside its sibling
    DEFAULT_URLS,
    REPO,
    TMP_DIR,
    bench_env,
    summary_path,
    vendor_of,
)

RESULTS = BENCH_DIR / "results"
TARGET_P95_MS = 50.0


# --- the server ------------------------------------------------------------------------------

def start_server(database_url: str, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")
    env = bench_env(database_url)
    env["RENKEI_THREADS"] = "1"  # sync-style workers: one request per worker at a time
    # Keep each worker's database connection for the whole run, so the backends whose CPU time
    # is counted stay the same processes (the default recycles them every minute).
    env["RENKEI_DB_CONN_MAX_AGE"] = "3600"
    server = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "renkei"), "serve", "--port", str(port),
         "--workers", str(workers)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _body, _ = request(port, "/healthz")
            if status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped; see {log_path}")
        time.sleep(0.3)
    server.terminate()
    raise RuntimeError(f"the server did not answer /healthz; see {log_path}")


def request(port: int, path: str, *, cookies: dict | None = None, method: str = "GET",
            body: str | None = None, conn: http.client.HTTPConnection | None = None,
            ) -> tuple[int, bytes, http.client.HTTPResponse]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Host": "127.0.0.1", "Accept-Language": "ja"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://127.0.0.1:{port}/accounts/login/"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if own:
        conn.close()
    return response.status, data, response


def set_cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def login(port: int, email: str, password: str) -> dict[str, str]:
    """Sign in through the login form, as a browser does; returns the cookies."""
    status, page, response = request(port, "/accounts/login/")
    if status != 200:
        raise RuntimeError(f"GET /accounts/login/ answered {status}")
    cookies = set_cookies(response)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    form = urlencode({"csrfmiddlewaretoken": token, "email": email, "password": password})
    status, _body, response = request(port, "/accounts/login/", cookies=cookies, method="POST",
                                      body=form)
    cookies.update(set_cookies(response))
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"signing in as {email} answered {status}")
    return cookies


# --- what to ask for -------------------------------------------------------------------------

def topic_counts() -> dict[int, int]:
    from django.db.models import Count

    from renkei.communities.models import Topic

    return dict(Topic.objects.order_by().values_list("community_id").annotate(n=Count("id")))


def pick_people(per_group: int) -> dict[str, list]:
    """"few": people whose organisation is in exactly one open or closed community (and who
    have no personal membership), taking the communities with the most topics; "many": people
    of the organisations in the most communities."""
    from django.db.models import Count

    from renkei.accounts.models import User
    from renkei.communities.models import Membership

    active = Membership.objects.filter(state="active", community__kind__in=["open", "closed"])
    per_org = dict(active.filter(organisation__isnull=False).order_by()
                   .values_list("organisation_id").annotate(n=Count("id")))
    personal = set(Membership.objects.filter(user__isnull=False).values_list("user_id", flat=True))
    counts = topic_counts()
    only = dict(active.filter(organisation_id__in=[o for o, n in per_org.items() if n == 1])
                .values_list("organisation_id", "community_id"))
    people = User.objects.filter(organisation__kind="participant", is_active=True)

    def first_person(org_id: int):
        return next((u for u in people.filter(organisation_id=org_id).order_by("id")
                     if u.id not in personal), None)

    few, seen_communities = [], set()
    for org_id, cid in sorted(only.items(), key=lambda item: -counts.get(item[1], 0)):
        if cid in seen_communities:
            continue
        person = first_person(org_id)
        if person is not None:
            few.append(person)
            seen_communities.add(cid)
        if len(few) == per_group:
            break
    many = []
    for org_id, _n in sorted(per_org.items(), key=lambda item: -item[1]):
        person = first_person(org_id)
        if person is not None:
            many.append(person)
        if len(many) == per_group:
            break
    return {"few": [plan_for(u, counts) for u in few], "many": [plan_for(u, counts) for u in many]}


def plan_for(user, counts: dict[int, int]) -> dict:
    """For one person: their biggest readable member community and topics in it worth opening."""
    from renkei.sharing.visibility import readable_communities, readable_topics

    communities = list(readable_communities(user).filter(kind__in=["open", "closed"])
                       .values_list("id", flat=True))
    biggest = max(communities, key=lambda cid: counts.get(cid, 0))
    topics = list(readable_topics(user).filter(community_id=biggest, comment_count__gt=0,
                                               ack_count__gt=0)
                  .order_by("-updated_at").values_list("public_id", flat=True)[:20])
    return {"user_id": user.id, "email": user.email, "organisation": user.organisation.name,
            "memberships": len(communities), "community_id": biggest,
            "community_topics": counts.get(biggest, 0), "topics": topics}


def page_paths(page: str, plan: dict, i: int) -> str:
    if page == "home":
        return "/"
    if page == "community":
        return f"/communities/{plan['community_id']}/"
    return f"/topics/{plan['topics'][i % len(plan['topics'])]}/"


# --- timing ----------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes: what the server spent, whatever the load."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def server_pids(server_pid: int, vendor: str) -> list[int]:
    """The gunicorn workers and, on PostgreSQL, the backends serving this database."""
    pids = children_of(server_pid)
    if vendor == "postgresql":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid()")
            pids += [row[0] for row in cursor.fetchall()]
    return pids

def summarise(samples: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(q[94], 1),
            "mean_ms": round(statistics.fmean(ms), 1), "max_ms": round(ms[-1], 1)}


def measure(port: int, paths_and_cookies, n: int, warmup: int, budget_s: float,
            pids=list) -> dict:
    """One client, one request at a time, keep-alive like a browser."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    samples, sizes, started = [], [], time.monotonic()
    for i in range(warmup + n):
        if i == warmup:
            watched = pids()  # after the warm-up every worker holds its database connection
            cpu_start = cpu_seconds(watched)
        path, cookies = paths_and_cookies(i)
        t0 = time.perf_counter()
        try:
            status, body, _ = request(port, path, cookies=cookies, conn=conn)
        except (http.client.HTTPException, OSError):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            status, body, _ = request(port, path, cookies=cookies, conn=conn)
        elapsed = time.perf_counter() - t0
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        if i >= warmup:
            samples.append(elapsed)
            sizes.append(len(body))
        if time.monotonic() - started > budget_s and len(samples) >= 20:
            break
    conn.close()
    result = summarise(samples)
    result["bytes"] = round(statistics.fmean(sizes))
    # A process that ended meanwhile took its CPU time with it: then there is no figure.
    same = sorted(watched) == sorted(pids())
    cpu = (cpu_seconds(watched) - cpu_start) * 1000 / len(samples)
    result["server_cpu_ms"] = round(cpu, 1) if same else None
    return result


# --- looking inside a page ---------------------------------------------------------------------

def inspect_page(user, path: str, vendor: str, runs: int = 5) -> dict:
    """The page's SQL queries in-process (median of `runs`), and EXPLAIN ANALYZE of the slowest."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    client.get(path)  # warm
    totals, per_query = [], None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            response = client.get(path)
            totals.append(time.perf_counter() - t0)
        times = [float(q["time"]) for q in captured.captured_queries]
        if per_query is None:
            sqls = [q["sql"] for q in captured.captured_queries]
            per_query = [[t] for t in times]
        elif len(times) == len(per_query):
            for bucket, t in zip(per_query, times, strict=True):
                bucket.append(t)
    medians = [statistics.median(b) for b in per_query]
    order = sorted(range(len(medians)), key=lambda i: -medians[i])
    top = [{"ms": round(medians[i] * 1000, 1), "sql": sqls[i]} for i in order[:3]]
    plan = ""
    slowest = re.sub(r"^DECLARE .*? FOR ", "", top[0]["sql"]) if top else ""
    if slowest.lstrip().upper().startswith("SELECT"):
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        with connection.cursor() as cursor:
            cursor.execute(prefix + slowest)
            plan = "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())
    return {"status": response.status_code,
            "in_process_ms": round(statistics.median(totals) * 1000, 1),
            "queries": len(medians), "sql_ms": round(sum(medians) * 1000, 1),
            "slowest_ms": top[0]["ms"] if top else 0.0, "slowest_sql": slowest,
            "top_queries": top, "slowest_plan": plan}


# --- the machine -------------------------------------------------------------------------------

def machine(vendor: str, snapshot: str | None = None) -> dict:
    import django
    from django.db import connection

    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SHOW server_version")
            db_version = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            db_version = f"SQLite {cursor.fetchone()[0]}"
    import gunicorn

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout

    # Other people edit the pages while this runs: say which code was measured.
    dirty = [line[3:] for line in git("status", "--porcelain", "src").splitlines()]
    commit = git("rev-parse", "--short", "HEAD").strip()
    if snapshot:
        dirty = []  # a snapshot was run, not the work tree; its commit is written beside it
        stamp = Path(snapshot).resolve().parent / "COMMIT"
        commit = stamp.read_text().strip() if stamp.exists() else f"snapshot {snapshot}"
    return {"commit": commit, "uncommitted_src": dirty,
            "snapshot": snapshot,
            "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 ** 2, 1),
            "python": platform.python_version(), "django": django.get_version(),
            "gunicorn": gunicorn.__version__, "database": db_version,
            "sqlite_library": sqlite3.sqlite_version, "kernel": platform.release(),
            "loadavg_start": os.getloadavg()}


# --- the report --------------------------------------------------------------------------------

def write_report(result: dict, vendor: str) -> Path:
    day = result["date"][:10] + (f"-{result['label']}" if result["label"] else "")
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / f"pages-{vendor}-{day}.json"
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    m, w = result["machine"], result["world"]
    lines = [
        f"# Page timings on {m['database']} — {result['date']}"
        + (f" — {result['label']}" if result["label"] else ""),
        "",
        (f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}, "
         f"Django {m['django']}, gunicorn {m['gunicorn']}, {m['database']} "
         f"(SQLite library {m['sqlite_library']}). Load average at start "
         f"{', '.join(f'{x:.2f}' for x in m['loadavg_start'])}, at end "
         f"{', '.join(f'{x:.2f}' for x in result['loadavg_end'])} (the machine is shared)."),
        "",
        f"Code: commit {m['commit']}"
        + (f" plus uncommitted changes in {len(m['uncommitted_src'])} files under src/ "
           "(other pages were being written at the same time)" if m["uncommitted_src"] else "")
        + ".",
        "",
        (f"World: scale {w['scale']} generated in {w['timings']['total_s']} s "
         f"({w['generated_at']}); rows: "
         + ", ".join(f"{k.split('_', 1)[1]} {v:,}" for k, v in w["rows"].items()) + "."),
        "",
        (f"Server: `renkei serve --workers {result['workers']}` (gunicorn, 1 thread per worker, "
         "database connections kept for the run); "
         f"one client, one request at a time, keep-alive; {result['warmup']} warm-up requests "
         f"then up to {result['requests']} per row (fewer if a row ran past "
         f"{result['budget_s']} s). Target on PostgreSQL: p95 ≤ {TARGET_P95_MS:.0f} ms."),
        "",
        "Server CPU ms: CPU time (user + system) the gunicorn workers"
        + (" and their PostgreSQL backends" if vendor == "postgresql" else "")
        + " spent per request — what a request costs when the machine is otherwise idle.",
        "",
        "| page | group | n | p50 ms | p95 ms | mean ms | max ms | server CPU ms | KiB "
        "| p95 ≤ 50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        met = "met" if row["p95_ms"] <= TARGET_P95_MS else "missed"
        lines.append(f"| {row['page']} | {row['group']} | {row['n']} | {row['p50_ms']} | "
                     f"{row['p95_ms']} | {row['mean_ms']} | {row['max_ms']} | "
                     f"{'—' if row['server_cpu_ms'] is None else row['server_cpu_ms']} | "
                     f"{row['bytes'] / 1024:.0f} | {met if row['page'] != 'healthz' else '—'} |")
    lines += ["", "Who was signed in (rotating over these people per row):", ""]
    for group, plans in result["plans"].items():
        for plan in plans:
            lines.append(f"- {group}: {plan['email']} — {plan['memberships']} member "
                         f"communities; community {plan['community_id']} with "
                         f"{plan['community_topics']:,} topics")
    lines += ["", "## Inside each page (in-process, Django test client, one request)", ""]
    lines += ["| page | group | queries | SQL ms | slowest query ms | total ms |",
              "|---|---|---|---|---|---|"]
    for item in result["inspect"]:
        lines.append(f"| {item['page']} | {item['group']} | {item['queries']} | "
                     f"{item['sql_ms']} | {item['slowest_ms']} | {item['in_process_ms']} |")
    lines += ["", "The three slowest queries of each page (median ms):", ""]
    for item in result["inspect"]:
        lines.append(f"- {item['page']} ({item['group']}): " + "; ".join(
            f"{q['ms']} ms `{q['sql'][:160]}…`" for q in item["top_queries"]))
    for item in result["inspect"]:
        if item["slowest_ms"] >= 10 and item["slowest_plan"]:
            heading = (f"### Slowest query of {item['page']} ({item['group']}): "
                       f"{item['slowest_ms']} ms")
            lines += ["", heading, "", "```sql", item["slowest_sql"], "```", "",
                      "```", item["slowest_plan"], "```"]
    md_path = RESULTS / f"pages-{vendor}-{day}.md"
    md_path.write_text("\n".join(lines) + "\n")
    return md_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=sorted(DEFAULT_URLS), default="postgresql")
    parser.add_argument("--database-url")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--people", type=int, default=5, help="people per group")
    parser.add_argument("--budget", type=float, default=150.0, help="seconds per row at most")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--src", help="run this copy of src/ instead of the work tree's")
    parser.add_argument("--label", default="",
                        help="added to the result file names and title, e.g. a variant tried")
    args = parser.parse_args(argv)
    database_url = args.database_url or DEFAULT_URLS[args.db]
    vendor = vendor_of(database_url)
    world = json.loads(summary_path(database_url).read_text())

    os.environ.update(bench_env(database_url))
    if args.src:
        # A snapshot of the code (e.g. `git archive HEAD src | tar -x -C /tmp/snap`): the
        # server, the migrations and this process all use it, whatever the work tree holds.
        os.environ["PYTHONPATH"] = str(Path(args.src).resolve())
        subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-m", "renkei.cli", "migrate",
                        "--verbosity", "0"], check=True, cwd=REPO)
    sys.path.insert(0, str(Path(args.src).resolve()) if args.src else str(REPO / "src"))
    import django

    django.setup()
    from renkei.accounts.models import User

    info = machine(vendor, args.src)
    plans = pick_people(args.people)
    server = start_server(database_url, args.port, args.workers,
                          TMP_DIR / f"server-{vendor}.log")
    rows = []

    def pids():
        return server_pids(server.pid, vendor)

    def healthz(_i):
        return "/healthz", None

    try:
        cookies = {group: [login(args.port, plan["email"], world["password"]) for plan in ps]
                   for group, ps in plans.items()}
        rows.append({"page": "healthz", "group": "—", **measure(
            args.port, healthz, args.requests, args.warmup, args.budget, pids)})
        for page in ("home", "community", "topic"):
            for group, ps in plans.items():
                def target(i, ps=ps, group=group, page=page):
                    k = i % len(ps)
                    return page_paths(page, ps[k], i // len(ps)), cookies[group][k]

                row = {"page": page, "group": group,
                       **measure(args.port, target, args.requests, args.warmup, args.budget,
                                  pids)}
                print(row, flush=True)
                rows.append(row)
        rows.append({"page": "healthz", "group": "— (again)", **measure(
            args.port, healthz, args.requests, args.warmup, args.budget, pids)})
    finally:
        server.terminate()
        server.wait(timeout=30)

    inspect = []
    for page in ("home", "community", "topic"):
        for group, ps in plans.items():
            user = User.objects.get(pk=ps[0]["user_id"])
            inspect.append({"page": page, "group": group,
                            **inspect_page(user, page_paths(page, ps[0], 0), vendor)})
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "label": args.label,
              "machine": info,
              "loadavg_end": os.getloadavg(), "world": {k: world[k] for k in (
                  "scale", "generated_at", "timings", "rows")},
              "workers": args.workers, "requests": args.requests, "warmup": args.warmup,
              "budget_s": args.budget, "rows": rows, "plans": plans, "inspect": inspect}
    print(write_report(result, vendor))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Measure topic search on a world made by bench/generate_world.py (issue 3's search target).

    .venv/bin/python bench/search.py --db postgresql
    .venv/bin/python bench/search.py --db sqlite --rounds 2

The search index must exist first (`renkei migrate` indexes the topics already there; after
regenerating: `renkei manage rebuild_search_index`, then ANALYZE).

For people with few and with many memberships it runs Japanese and English searches of 2–10
characters (common, rare and absent words of the generator's texts):

- over real HTTP, one request at a time, against `renkei serve` (gunicorn, worker off): the
  search page /topics/?q=… (session cookie) and the API /api/v1/topics?q=…&limit=20 (Bearer
  token), beside /healthz on the same server;
- in-process, per word: `search_parts` + the first page as the page builds it, and
  `search_topics(...)[:21]` as the API reads it, each with its SQL time, and EXPLAIN ANALYZE of
  the slowest query of the slowest word.

Results: bench/results/search-<db>-<date>[-<label>].{md,json}.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from generate_world import DEFAULT_URLS, REPO, TMP_DIR, bench_env, summary_path, vendor_of  # noqa: E402
from pages import login, machine, pick_people, start_server, summarise  # noqa: E402

RESULTS = BENCH_DIR / "results"
TARGET_P95_MS = 150.0

# (query, how often the generator's texts hold it). The generator writes 12 title and 5 body
# templates, 5 comments, 20 place names and random numbers 1000–99999; see generate_world.py.
WORDS = [
    ("攻撃", "common: 4 of 12 titles, 1 of 5 bodies"),
    ("脆弱性", "common: 2 titles, 1 body"),
    ("CVE", "common: 1 title, 1 body"),
    ("マルウェア", "common: 1 title"),
    ("注意喚起", "common: 2 titles"),
    ("DDoS攻撃", "common: 1 title, 1 body"),
    ("ＤＤｏＳ", "full-width form of DDoS"),
    ("ランサムウェア", "medium: 1 title"),
    ("偽のライブ配信", "medium: 1 title, 1 body"),
    ("標的型攻撃", "medium: 1 title"),
    ("http flood", "English, two words: 1 body"),
    ("札幌", "medium: a place, 1/20 of several templates"),
    ("48213", "rare: one random number"),
    ("第48213報", "rare: title 2 with one number"),
    ("Exchange", "absent"),
    ("phishing", "absent (the texts say フィッシング)"),
    ("偽ライブ配信", "absent (the texts say 偽のライブ配信)"),
    ("不正アクセス", "absent"),
    ("マルウェア感染", "absent"),
]


# --- HTTP ------------------------------------------------------------------------------------

def get(conn: http.client.HTTPConnection, path: str, headers: dict) -> tuple[int, bytes]:
    conn.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Language": "ja", **headers})
    response = conn.getresponse()
    return response.status, response.read()


def time_requests(port: int, targets: list[tuple[str, dict]], warmup: int,
                  budget_s: float) -> dict:
    """One client, one request at a time, keep-alive; `targets` in order, after a warm-up."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    samples, per_word, started = [], {}, time.monotonic()
    for i, (path, headers) in enumerate(targets[:warmup] + targets):
        t0 = time.perf_counter()
        status, body = get(conn, path, headers)
        elapsed = time.perf_counter() - t0
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        if i >= warmup:
            samples.append(elapsed)
            per_word.setdefault(path, []).append(elapsed * 1000)
        if time.monotonic() - started > budget_s:
            break
    conn.close()
    return {**summarise(samples),
            "per_path_median_ms": {p: round(statistics.median(v), 1) for p, v in
                                   per_word.items()}}


def cookie_header(cookies: dict) -> dict:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


# --- in-process ------------------------------------------------------------------------------

def timed(fn, runs: int) -> tuple[float, float, list[dict]]:
    """Median wall ms and SQL ms of `fn` over `runs` (after one warm run), and the queries of
    the last run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()
    totals, sqls, queries = [], [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            fn()
            totals.append((time.perf_counter() - t0) * 1000)
        queries = captured.captured_queries
        sqls.append(sum(float(q["time"]) for q in queries) * 1000)
    return round(statistics.median(totals), 1), round(statistics.median(sqls), 1), queries


def in_process(user, word: str, runs: int) -> dict:
    from renkei.communities.paging import pinned_first_page
    from renkei.communities.search import parse_topic_query, search_parts, search_topics
    from renkei.communities.views import TOPICS_PER_PAGE, _topic_rows

    query = parse_topic_query({"q": word}, user)

    def page():
        first, rest = search_parts(user, query)
        return pinned_first_page(_topic_rows(first), _topic_rows(rest), None, TOPICS_PER_PAGE)

    def api():
        return list(search_topics(user, query)[:21])

    page_ms, page_sql, page_queries = timed(page, runs)
    api_ms, api_sql, api_queries = timed(api, runs)
    shown = page()
    slowest = max(page_queries + api_queries, key=lambda q: float(q["time"]))
    return {"word": word, "page_ms": page_ms, "page_sql_ms": page_sql,
            "page_queries": len(page_queries), "count": shown.count,
            "count_is_lower_bound": shown.count_is_lower_bound,
            "api_ms": api_ms, "api_sql_ms": api_sql,
            "slowest_sql_ms": round(float(slowest["time"]) * 1000, 1),
            "slowest_sql": slowest["sql"]}


def explain(sql: str, vendor: str) -> str:
    from django.db import connection

    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def full_in_process(user, token: str, word: str, runs: int) -> tuple[float, float]:
    """The search page and the API list through Django's test client: middleware, view,
    template or JSON, no socket."""
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.force_login(user)
    page_ms, _sql, _q = timed(lambda: client.get(f"/topics/?q={quote(word)}"), runs)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    api_ms, _sql, _q = timed(lambda: api.get(f"/api/v1/topics?limit=20&q={quote(word)}"), runs)
    return page_ms, api_ms


# --- report ----------------------------------------------------------------------------------

def write_report(result: dict, vendor: str) -> Path:
    stem = f"search-{vendor}-{result['date'][:10]}" + (
        f"-{result['label']}" if result["label"] else "")
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    m, w = result["machine"], result["world"]
    lines = [
        f"# Search on {m['database']} — {result['date']}"
        + (f" — {result['label']}" if result["label"] else ""), "",
        (f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}, "
         f"Django {m['django']}, gunicorn {m['gunicorn']}, {m['database']}. Load average at "
         f"start {', '.join(f'{x:.2f}' for x in m['loadavg_start'])}, at end "
         f"{', '.join(f'{x:.2f}' for x in result['loadavg_end'])} (the machine is shared)."), "",
        f"Code: commit {m['commit']}" + (f" plus uncommitted changes in {m['uncommitted_src']}"
                                         if m["uncommitted_src"] else "") + ".", "",
        (f"World: scale {w['scale']} ({w['rows'].get('communities_topic', 0):,} topics, "
         f"{w['rows'].get('communities_comment', 0):,} comments), generated {w['generated_at']}; "
         f"search index: {result['index_entries']:,} entries."), "",
        (f"HTTP: `renkei serve --workers {result['workers']}` (gunicorn, RENKEI_RUN_WORKER=0); "
         "one client, one request at a time, keep-alive. Each row cycles over the "
         f"{len(result['words'])} words and the people of its group, {result['rounds']} rounds "
         f"after {result['warmup']} warm-up requests. Target on PostgreSQL: p95 ≤ "
         f"{TARGET_P95_MS:.0f} ms."), "",
        "| what | group | n | p50 ms | p95 ms | mean ms | max ms | p95 ≤ 150 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["http"]:
        met = "—" if row["what"] == "healthz" else (
            "met" if row["p95_ms"] <= TARGET_P95_MS else "missed")
        lines.append(f"| {row['what']} | {row['group']} | {row['n']} | {row['p50_ms']} | "
                     f"{row['p95_ms']} | {row['mean_ms']} | {row['max_ms']} | {met} |")
    lines += ["", "People:", ""]
    for group, plans in result["plans"].items():
        for plan in plans:
            lines.append(f"- {group}: {plan['email']} — {plan['memberships']} member communities")
    lines += ["", "## Per word, in-process (median of "
              f"{result['runs']} runs, ms; first person of each group)", "",
              "page = `search_parts` + first page of 20 with the bounded counts, as the search "
              "page builds it; api = `search_topics(...)[:21]`; full page = the search page "
              "through Django's test client (middleware, view, template, no socket); full API = "
              "GET /api/v1/topics?limit=20&q=… the same way.", "",
              "| word | about | group | hits shown | page ms | page SQL ms | queries | api ms | "
              "api SQL ms | full page ms | full API ms |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    about = dict(WORDS)
    for row in result["in_process"]:
        hits = f"{row['count']:,}" + ("+" if row["count_is_lower_bound"] else "")
        lines.append(f"| {row['word']} | {about.get(row['word'], '')} | {row['group']} | {hits} "
                     f"| {row['page_ms']} | {row['page_sql_ms']} | {row['page_queries']} | "
                     f"{row['api_ms']} | {row['api_sql_ms']} | {row['full_page_ms']} | "
                     f"{row['full_api_ms']} |")
    for item in result["explains"]:
        lines += ["", f"### Slowest query: {item['word']} ({item['group']}), "
                  f"{item['ms']} ms", "", "```sql", item["sql"], "```", "", "```",
                  item["plan"], "```"]
    md = RESULTS / f"{stem}.md"
    md.write_text("\n".join(lines) + "\n")
    return md


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=sorted(DEFAULT_URLS), default="postgresql")
    parser.add_argument("--database-url")
    parser.add_argument("--people", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3, help="in-process runs per word")
    parser.add_argument("--budget", type=float, default=240.0, help="seconds per HTTP row")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--label", default="")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--no-full", action="store_true",
                        help="skip the in-process page and API through the test client")
    parser.add_argument("--words", nargs="+", help="only these words")
    args = parser.parse_args(argv)
    database_url = args.database_url or DEFAULT_URLS[args.db]
    vendor = vendor_of(database_url)
    world = json.loads(summary_path(database_url).read_text())
    os.environ.update(bench_env(database_url))
    os.environ["RENKEI_RUN_WORKER"] = "0"
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from renkei.accounts.models import User
    from renkei.accounts.services import issue_api_token
    from renkei.communities.models import TopicSearchEntry

    info = machine(vendor)
    plans = pick_people(args.people)
    words = args.words or [w for w, _ in WORDS]
    http_rows = []
    tokens = {group: [issue_api_token(user=User.objects.get(pk=p["user_id"]),
                                      name="bench-search", days=1)[1] for p in ps]
              for group, ps in plans.items()}
    if not args.skip_http:
        server = start_server(database_url, args.port, args.workers,
                              TMP_DIR / f"server-search-{vendor}.log")
        try:
            cookies = {group: [login(args.port, p["email"], world["password"]) for p in ps]
                       for group, ps in plans.items()}
            http_rows.append({"what": "healthz", "group": "—", **time_requests(
                args.port, [("/healthz", {})] * 60, 10, args.budget)})
            for what in ("api", "page"):
                for group, ps in plans.items():
                    targets = []
                    for r in range(args.rounds):
                        for i, word in enumerate(words):
                            k = (i + r) % len(ps)
                            if what == "api":
                                targets.append((f"/api/v1/topics?limit=20&q={quote(word)}",
                                                {"Authorization": f"Bearer {tokens[group][k]}"}))
                            else:
                                targets.append((f"/topics/?q={quote(word)}",
                                                cookie_header(cookies[group][k])))
                    row = {"what": what, "group": group, **time_requests(
                        args.port, targets, args.warmup, args.budget)}
                    print({k: v for k, v in row.items() if k != "per_path_median_ms"},
                          flush=True)
                    http_rows.append(row)
            http_rows.append({"what": "healthz", "group": "— (again)", **time_requests(
                args.port, [("/healthz", {})] * 60, 10, args.budget)})
        finally:
            server.terminate()
            server.wait(timeout=30)

    rows, explains = [], []
    for group, ps in plans.items():
        user = User.objects.get(pk=ps[0]["user_id"])
        for word in words:
            row = {"group": group, **in_process(user, word, args.runs)}
            row["full_page_ms"], row["full_api_ms"] = ("—", "—") if args.no_full else (
                full_in_process(user, tokens[group][0], word, args.runs))
            print({k: v for k, v in row.items() if k != "slowest_sql"}, flush=True)
            rows.append(row)
        worst = max((r for r in rows if r["group"] == group), key=lambda r: r["page_ms"])
        explains.append({"word": worst["word"], "group": group, "ms": worst["slowest_sql_ms"],
                         "sql": worst["slowest_sql"],
                         "plan": explain(worst["slowest_sql"], vendor)})
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "label": args.label,
              "machine": info, "loadavg_end": os.getloadavg(),
              "world": {k: world[k] for k in ("scale", "generated_at", "rows")},
              "index_entries": TopicSearchEntry.objects.count(),
              "workers": args.workers, "rounds": args.rounds, "warmup": args.warmup,
              "runs": args.runs, "words": words, "plans": plans, "http": http_rows,
              "in_process": rows, "explains": explains}
    print(write_report(result, vendor))
    return 0


if __name__ == "__main__":
    sys.exit(main())

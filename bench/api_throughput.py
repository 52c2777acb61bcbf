"""API list throughput under wrk, beside a bare Django view on the same server.

    .venv/bin/python bench/api_throughput.py --db postgresql
    .venv/bin/python bench/api_throughput.py --db sqlite --duration 10

Starts gunicorn as `renkei serve --workers 2` does (same flags: gthread, RENKEI_THREADS
threads, access log), but on bench/bare_wsgi.py, which is renkei's application plus /bench/ok
(a view answering "ok" through the whole middleware stack, no database). wrk (-t2 -c8 by
default, loopback) then runs, in this order: /bench/ok, /healthz (SELECT 1), GET
/api/v1/topics?limit=50 with a Bearer token of a person with few and one with many memberships,
/api/v1/me (authentication alone), and /bench/ok again. wrk shares the 2 cores with the server,
as a client on the same machine does.

Target: API list throughput ≥ 50 % of the bare view's. Results:
bench/results/api-<db>-<date>[-<label>].{md,json}.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from generate_world import DEFAULT_URLS, REPO, TMP_DIR, bench_env, summary_path, vendor_of  # noqa: E402
from pages import machine, pick_people  # noqa: E402

RESULTS = BENCH_DIR / "results"
TARGET_SHARE = 0.5
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def start(database_url: str, port: int, workers: int, threads: int,
          log_path: Path) -> subprocess.Popen:
    env = bench_env(database_url)
    env["PYTHONPATH"] = str(REPO / "src")
    log = open(log_path, "w")
    server = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "gunicorn", "bare_wsgi:application",
         "--chdir", str(BENCH_DIR), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", str(threads), "--access-logfile", "-", "--timeout", "120"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/bench/ok")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped; see {log_path}")
    server.terminate()
    raise RuntimeError(f"gunicorn did not answer; see {log_path}")


def check(port: int, path: str, headers: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}: {body[:300]!r}")
    return len(body)


def ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return round(float(number) * UNITS[unit], 2)


def wrk(port: int, path: str, headers: dict, threads: int, connections: int,
        duration: int) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
             "requests": int(re.search(r"(\d+) requests in", out).group(1))}
    latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    found["latency_mean_ms"], found["latency_max_ms"] = ms(latency.group(1)), ms(
        latency.group(3))
    for pct in ("50", "90", "99"):
        hit = re.search(rf"\s{pct}%\s+(\S+)", out)
        found[f"p{pct}_ms"] = ms(hit.group(1)) if hit else None
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    found["non_2xx"] = int(errors.group(1)) if errors else 0
    socket_errors = re.search(r"Socket errors: (.*)", out)
    found["socket_errors"] = socket_errors.group(1) if socket_errors else ""
    found["raw"] = out
    return found


def write_report(result: dict, vendor: str) -> Path:
    stem = f"api-{vendor}-{result['date'][:10]}" + (
        f"-{result['label']}" if result["label"] else "")
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    m, w = result["machine"], result["world"]
    bare = result["bare_rps"]
    lines = [
        f"# API throughput on {m['database']} — {result['date']}"
        + (f" — {result['label']}" if result["label"] else ""), "",
        (f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}, "
         f"Django {m['django']}, gunicorn {m['gunicorn']}, {m['database']}, "
         f"{result['wrk_version']}. Load average at start "
         f"{', '.join(f'{x:.2f}' for x in m['loadavg_start'])}, at end "
         f"{', '.join(f'{x:.2f}' for x in result['loadavg_end'])} (the machine is shared)."), "",
        f"Code: commit {m['commit']}" + (f" plus uncommitted changes in {m['uncommitted_src']}"
                                         if m["uncommitted_src"] else "") + ".", "",
        f"World: scale {w['scale']} ({w['rows'].get('communities_topic', 0):,} topics).", "",
        (f"Server: gunicorn {result['workers']} workers × {result['threads']} threads (gthread, "
         "access log on), as `renkei serve --workers 2` runs it, on bench/bare_wsgi.py. "
         f"wrk -t{result['wrk_threads']} -c{result['connections']} -d{result['duration']}s "
         f"--latency on loopback, after a {result['warmup']} s warm-up of each URL; wrk runs on "
         "the same 2 cores."), "",
        (f"Bare view baseline: {bare:,.0f} requests/s (mean of the two /bench/ok runs). "
         f"Target: API list ≥ {TARGET_SHARE:.0%} of it."), "",
        "| URL | who | req/s | share of bare | p50 ms | p90 ms | p99 ms | max ms | non-2xx "
        "| bytes | target |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["runs"]:
        share = row["requests_per_s"] / bare if bare else 0
        target = ("met" if share >= TARGET_SHARE else "missed") if row["is_list"] else "—"
        lines.append(
            f"| `{row['path']}` | {row['who']} | {row['requests_per_s']:,.1f} | {share:.0%} | "
            f"{row['p50_ms']} | {row['p90_ms']} | {row['p99_ms']} | {row['latency_max_ms']} | "
            f"{row['non_2xx']} | {row['bytes']:,} | {target} |")
    lines += ["", "People:", ""]
    for group, plan in result["people"].items():
        lines.append(f"- {group}: {plan['email']} — {plan['memberships']} member communities")
    md = RESULTS / f"{stem}.md"
    md.write_text("\n".join(lines) + "\n")
    return md


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=sorted(DEFAULT_URLS), default="postgresql")
    parser.add_argument("--database-url")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int,
                        default=int(os.environ.get("RENKEI_THREADS", "4")))
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)
    database_url = args.database_url or DEFAULT_URLS[args.db]
    vendor = vendor_of(database_url)
    world = json.loads(summary_path(database_url).read_text())
    os.environ.update(bench_env(database_url))
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from renkei.accounts.models import User
    from renkei.accounts.services import issue_api_token

    info = machine(vendor)
    plans = pick_people(1)
    people = {group: ps[0] for group, ps in plans.items()}
    tokens = {group: issue_api_token(user=User.objects.get(pk=p["user_id"]),
                                     name="bench-api", days=1)[1]
              for group, p in people.items()}
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    wrk_version = wrk_version.split(" Copyright")[0].strip()
    listing = f"/api/v1/topics?limit={args.limit}"
    plan = [("/bench/ok", "—", {}, False), ("/healthz", "—", {}, False)]
    for group in people:
        plan.append((listing, group, {"Authorization": f"Bearer {tokens[group]}"}, True))
    plan.append(("/api/v1/me", "many", {"Authorization": f"Bearer {tokens['many']}"}, False))
    plan.append(("/bench/ok", "— (again)", {}, False))
    server = start(database_url, args.port, args.workers, args.threads,
                   TMP_DIR / f"server-api-{vendor}.log")
    runs = []
    try:
        for path, who, headers, is_list in plan:
            size = check(args.port, path, headers)
            wrk(args.port, path, headers, args.wrk_threads, args.connections, args.warmup)
            row = {"path": path, "who": who, "is_list": is_list, "bytes": size,
                   **wrk(args.port, path, headers, args.wrk_threads, args.connections,
                         args.duration)}
            print({k: v for k, v in row.items() if k != "raw"}, flush=True)
            runs.append(row)
    finally:
        server.terminate()
        server.wait(timeout=30)
    bare_runs = [r["requests_per_s"] for r in runs if r["path"] == "/bench/ok"]
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "label": args.label,
              "machine": info, "loadavg_end": os.getloadavg(), "wrk_version": wrk_version,
              "world": {k: world[k] for k in ("scale", "generated_at", "rows")},
              "workers": args.workers, "threads": args.threads, "wrk_threads": args.wrk_threads,
              "connections": args.connections, "duration": args.duration,
              "warmup": args.warmup, "people": people,
              "bare_rps": sum(bare_runs) / len(bare_runs), "runs": runs}
    print(write_report(result, vendor))
    return 0


if __name__ == "__main__":
    sys.exit(main())

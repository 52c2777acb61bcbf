"""TAXII 2.1 benchmark: renkei beside the OASIS reference server medallion, then renkei alone at
scale. Both are driven by the unmodified `taxii2-client` with the same bundles (bench/taxii_data).

    .venv/bin/python bench/taxii.py                         # side by side, then 100k/300k/1M
    .venv/bin/python bench/taxii.py --sizes 100000 300000   # a smaller large part
    .venv/bin/python bench/taxii.py --skip-large            # the side-by-side part only

1. Side by side (`--side-count`, 3,000): a fresh PostgreSQL database `renkei_bench_taxii`
   (dropped and re-created, migrated), served by `renkei serve` (gunicorn) on a free port, and
   medallion 3.0.0 with its memory backend as a separate process on another port, with a config
   and data file written here. For each: POST the indicators in bundles of `--bundle` (1,000)
   with `Collection.add_objects`, then page through the collection with `as_pages(get_objects,
   per_request=--side-page)`. Times are the client's: each call from request to parsed JSON.
2. renkei alone: into a second collection, POST bundles of 1,000 until the collection holds each
   size of `--sizes` (cumulative, default 100,000, 300,000, 1,000,000), and after each size page
   through the whole collection with limit 1,000, timing every page. Linear paging shows as a
   constant time per page (and per object) whatever the size. `--budget` (seconds) stops before
   a size that would not finish in time; the report says which sizes were measured.

Targets (issue 5): ingest ≥ 5,000 validated objects/s; p95 ≤ 50 ms per page of 1,000 from the
1,000,000-object collection; paging time linear in the collection size.
Results: bench/results/taxii-<date>[-<label>].{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from generate_world import REPO, TMP_DIR, bench_env, migrate, recreate_database  # noqa: E402
from pages import machine  # noqa: E402
from taxii_data import bundles  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/renkei_bench_taxii"
RESULTS = BENCH_DIR / "results"
MEDALLION_USER, MEDALLION_PASSWORD = "bench", "bench-medallion-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path, auth=None) -> None:
    import requests

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped; see {log}")
        try:
            if requests.get(url, auth=auth, timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"{url} did not answer; see {log}")


# --- renkei ----------------------------------------------------------------------------------

def prepare_renkei() -> dict:
    """A fresh database with one organisation, one person with an API token, two collections."""
    recreate_database(DATABASE_URL)
    migrate(DATABASE_URL)
    os.environ.update(bench_env(DATABASE_URL))
    import django

    django.setup()
    from renkei.accounts.services import create_organisation, create_user, issue_api_token
    from renkei.communities.services import create_community
    from renkei.intel.services import collection_for

    org = create_organisation(name="ベンチ通信", kind="participant")
    user = create_user(email="bench@bench.example", name="ベンチ 太郎", organisation=org,
                       password="bench-Passw0rd-2026", is_org_admin=True)
    _token, raw = issue_api_token(user=user, name="taxii bench", days=30)
    side = create_community(actor=user, name="並列比較", kind="closed")
    large = create_community(actor=user, name="大規模", kind="closed")
    return {"email": user.email, "token": raw,
            "side": str(collection_for(side).uuid), "large": str(collection_for(large).uuid)}


def start_renkei(port: int, workers: int) -> tuple[subprocess.Popen, Path]:
    log = TMP_DIR / "taxii-renkei-server.log"
    env = bench_env(DATABASE_URL)
    env.update(RENKEI_RUN_WORKER="0", RENKEI_THREADS="1", RENKEI_DB_CONN_MAX_AGE="3600")
    server = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "renkei"), "serve", "--port", str(port),
         "--workers", str(workers)],
        cwd=REPO, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_for(f"http://127.0.0.1:{port}/healthz", server, log)
    return server, log


# --- medallion -------------------------------------------------------------------------------

def start_medallion(port: int, page_size: int) -> tuple[subprocess.Popen, str]:
    collection_id = str(uuid.uuid4())
    root = f"http://127.0.0.1:{port}/api1/"
    data = {
        "/discovery": {"title": "medallion (bench)", "description": "", "contact": "",
                       "default": root, "api_roots": [root]},
        "api1": {
            "information": {"title": "api1", "description": "",
                            "versions": ["application/taxii+json;version=2.1"],
                            "max_content_length": 100 * 1024 * 1024},
            "status": [],
            "collections": [{"id": collection_id, "title": "bench", "description": "",
                             "can_read": True, "can_write": True,
                             "media_types": ["application/stix+json;version=2.1"],
                             "objects": [], "manifest": []}],
        },
    }
    data_path = TMP_DIR / "taxii-medallion-data.json"
    data_path.write_text(json.dumps(data))
    config_path = TMP_DIR / "taxii-medallion-config.json"
    config_path.write_text(json.dumps({
        "backend": {"module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend", "filename": str(data_path)},
        "users": {MEDALLION_USER: MEDALLION_PASSWORD},
        "taxii": {"max_page_size": page_size},
    }))
    log = TMP_DIR / "taxii-medallion-server.log"
    server = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "medallion"), "--host", "127.0.0.1", "--port", str(port),
         str(config_path)], cwd=TMP_DIR, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_for(f"http://127.0.0.1:{port}/taxii2/", server, log,
             auth=(MEDALLION_USER, MEDALLION_PASSWORD))
    return server, f"{root}collections/{collection_id}/"


# --- driving a server with taxii2-client -----------------------------------------------------

def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"n": len(samples), "total_s": round(sum(samples), 3),
            "mean_ms": round(1000 * statistics.fmean(samples), 2),
            "p50_ms": round(1000 * pick(0.50), 2), "p95_ms": round(1000 * pick(0.95), 2),
            "max_ms": round(1000 * ordered[-1], 2)}


def post(collection, start: int, stop: int, size: int) -> dict:
    """POST indicators start..stop-1 in bundles; the time of each add_objects call."""
    times, failures = [], 0
    for text in bundles(start, stop, size):
        began = time.perf_counter()
        status = collection.add_objects(text)
        times.append(time.perf_counter() - began)
        failures += status.failure_count
        if status.status != "complete":
            raise RuntimeError(f"status {status.status}: {status.failures}")
    total = sum(times)
    return {"objects": stop - start, "bundles": len(times), "seconds": round(total, 2),
            "objects_per_s": round((stop - start) / total), "failures": failures,
            "per_bundle": summary(times)}


def page_through(collection, per_request: int) -> dict:
    """Every object of the collection through as_pages; the time of each page."""
    from taxii2client.v21 import as_pages

    times: list[float] = []
    ids: set[str] = set()

    def timed(**kwargs):
        began = time.perf_counter()
        envelope = collection.get_objects(**kwargs)
        times.append(time.perf_counter() - began)
        return envelope

    began = time.perf_counter()
    count = 0
    for envelope in as_pages(timed, per_request=per_request):
        objects = envelope.get("objects", [])
        count += len(objects)
        ids.update(o["id"] for o in objects)
    total = time.perf_counter() - began
    return {"objects": count, "distinct": len(ids), "pages": len(times),
            "seconds": round(total, 2), "us_per_object": round(1e6 * total / max(count, 1), 1),
            "per_page": summary(times),
            "per_page_by_tenth": _by_tenth(times)}


def _by_tenth(times: list[float]) -> list[float]:
    """Median page time (ms) in each tenth of the walk: flat when a deep page costs what a
    shallow one does."""
    if len(times) < 10:
        return []
    step = len(times) / 10
    return [round(1000 * statistics.median(times[int(k * step):int((k + 1) * step)]), 1)
            for k in range(10)]


def analyze() -> float:
    """What autovacuum would do after a bulk load (it is switched off on the bench server):
    fresh statistics, so the planner walks the date_added index instead of sorting."""
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE intel_stixobject")
    return round(time.perf_counter() - began, 2)


def client_for(url: str, user: str, password: str):
    from taxii2client.v21 import Collection

    return Collection(url, user=user, password=password)


# --- the run ---------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side-count", type=int, default=3000)
    parser.add_argument("--side-page", type=int, default=100,
                        help="per_request when paging side by side (medallion's default cap)")
    parser.add_argument("--bundle", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget", type=float, default=3 * 3600,
                        help="seconds; a size that would not finish in time is skipped")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="leave the planner's statistics as they are after the load")
    parser.add_argument("--label", default="")
    parser.add_argument("--repage", type=int, default=0, metavar="N",
                        help="no loading: page N times through the large collection of the "
                             "last run, with taxii2-client and with raw HTTP (no JSON parsing)")
    args = parser.parse_args(argv)
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if args.repage:
        return repage(args)

    access = prepare_renkei()
    autovacuum = _setting("autovacuum")
    result: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": machine("postgresql"), "args": vars(args), "side_by_side": {},
                    "large": [], "notes": [], "autovacuum": autovacuum}
    renkei_port, medallion_port = free_port(), free_port()
    renkei, _log = start_renkei(renkei_port, args.workers)
    medallion, medallion_url = start_medallion(medallion_port, page_size=max(args.side_page,
                                                                             args.page))
    base = f"http://127.0.0.1:{renkei_port}/taxii2/api1/collections/"
    try:
        servers = {
            "renkei": client_for(f"{base}{access['side']}/", access["email"], access["token"]),
            "medallion": client_for(medallion_url, MEDALLION_USER, MEDALLION_PASSWORD),
        }
        for name, collection in servers.items():
            print(f"side by side: {name}", flush=True)
            posted = post(collection, 0, args.side_count, args.bundle)
            if name == "renkei" and args.analyze:
                posted["analyze_s"] = analyze()
            paged = page_through(collection, args.side_page)
            result["side_by_side"][name] = {"post": posted, "paging": paged}
            print(json.dumps(result["side_by_side"][name]), flush=True)
        medallion.terminate()

        if not args.skip_large:
            large = client_for(f"{base}{access['large']}/", access["email"], access["token"])
            held = 0
            for size in sorted(args.sizes):
                elapsed = time.monotonic() - started
                estimate = _estimate(result["large"], held, size)
                if estimate is not None and elapsed + estimate > args.budget:
                    result["notes"].append(
                        f"{size:,} not measured: about {estimate / 60:.0f} more minutes were "
                        f"needed, beyond the budget of {args.budget / 60:.0f} minutes.")
                    print(result["notes"][-1], flush=True)
                    break
                print(f"large: posting up to {size:,}", flush=True)
                posted = post(large, held, size, args.bundle)
                held = size
                if args.analyze:
                    posted["analyze_s"] = analyze()
                print(f"large: paging through {size:,}", flush=True)
                paged = page_through(large, args.page)
                result["large"].append({"size": size, "post": posted, "paging": paged,
                                        "loadavg": os.getloadavg()})
                print(json.dumps(result["large"][-1]), flush=True)
                _write(result, args.label)  # what is measured so far is kept
    finally:
        for process in (medallion, renkei):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
    result["machine"]["loadavg_end"] = os.getloadavg()
    path = _write(result, args.label)
    print(f"written: {path}")
    return 0


def repage(args) -> int:
    """Page again through the collection the last run loaded: the paging figures alone, at a
    quieter moment, and split into server+transfer (raw HTTP) and the client's JSON parsing."""
    import requests

    os.environ.update(bench_env(DATABASE_URL))
    import django

    django.setup()
    from renkei.accounts.models import User
    from renkei.accounts.services import issue_api_token
    from renkei.intel.models import Collection, StixObject

    user = User.objects.get(email="bench@bench.example")
    large = Collection.objects.get(community__name="大規模")
    access = {"email": user.email, "token": issue_api_token(user=user, name="repage")[1],
              "large": str(large.uuid)}
    size = StixObject.objects.filter(community=large.community).count()
    port = free_port()
    server, _log = start_renkei(port, args.workers)
    url = f"http://127.0.0.1:{port}/taxii2/api1/collections/{access['large']}/objects/"
    runs = []
    try:
        collection = client_for(url.removesuffix("objects/"), access["email"], access["token"])
        for _ in range(args.repage):
            client = page_through(collection, args.page)
            session = requests.Session()
            session.auth = (access["email"], access["token"])
            headers = {"Accept": "application/taxii+json;version=2.1"}
            times, token, count = [], None, 0
            while True:
                began = time.perf_counter()
                response = session.get(url, headers=headers,
                                       params={"limit": args.page, **({"next": token}
                                                                      if token else {})})
                body = response.content
                times.append(time.perf_counter() - began)
                envelope = json.loads(body)  # outside the timing: only to follow `next`
                count += len(envelope.get("objects", []))
                token = envelope.get("next")
                if not envelope.get("more"):
                    break
            runs.append({"client": client, "raw": {"objects": count, "pages": len(times),
                                                   "seconds": round(sum(times), 2),
                                                   "per_page": summary(times),
                                                   "per_page_by_tenth": _by_tenth(times)},
                         "loadavg": os.getloadavg()})
            print(json.dumps(runs[-1]), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=20)
    day = datetime.now(UTC).date().isoformat()
    stem = RESULTS / f"taxii-{day}-repage{'-' + args.label if args.label else ''}"
    stem.with_suffix(".json").write_text(json.dumps(
        {"date": datetime.now(UTC).isoformat(timespec="seconds"), "size": size,
         "machine": machine("postgresql"), "runs": runs}, indent=2))
    lines = [f"# TAXII paging again through {size:,} stored objects — {day}", "",
             "No loading: the collection of the last `bench/taxii.py` run, paged with limit "
             f"{args.page:,}, {args.repage} times, each time with `taxii2-client` (request to "
             "parsed JSON) and with raw HTTP (request to last byte, no parsing).", "",
             "| run | client p50 ms | client p95 ms | raw p50 ms | raw p95 ms | raw total s | "
             "load average |", "|---:|---:|---:|---:|---:|---:|---|"]
    for i, r in enumerate(runs, 1):
        c, w = r["client"]["per_page"], r["raw"]["per_page"]
        lines.append(f"| {i} | {c['p50_ms']} | {c['p95_ms']} | {w['p50_ms']} | {w['p95_ms']} | "
                     f"{r['raw']['seconds']} | {tuple(round(x, 1) for x in r['loadavg'])} |")
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"written: {stem.with_suffix('.md')}")
    return 0


def _setting(name: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def _estimate(done: list[dict], held: int, size: int) -> float | None:
    """Seconds to post up to `size` and page through it, from the last measured size."""
    if not done:
        return None
    last = done[-1]
    post_rate = last["post"]["objects"] / last["post"]["seconds"]
    page_rate = last["paging"]["objects"] / last["paging"]["seconds"]
    return (size - held) / post_rate + size / page_rate


def _write(result: dict, label: str) -> Path:
    day = result["date"][:10]
    stem = RESULTS / f"taxii-{day}{'-' + label if label else ''}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    stem.with_suffix(".md").write_text(report(result))
    return stem.with_suffix(".md")


def report(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"# TAXII 2.1 benchmark — {result['date'][:10]}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['database']}; "
        f"Python {m['python']}, Django {m['django']}, gunicorn {m['gunicorn']}; commit "
        f"{m['commit']}{_dirty(m)}. "
        f"Load average at start {tuple(round(x, 1) for x in m['loadavg_start'])}, at end "
        f"{tuple(round(x, 1) for x in m.get('loadavg_end', m['loadavg_start']))} "
        "(the machine is shared with other work).",
        "",
        "Client: the unmodified `taxii2-client` (2.3.0), one request at a time; times are the "
        "client's, from sending a request to having its JSON parsed. renkei: `renkei serve` "
        f"(gunicorn, {result['args']['workers']} workers, 1 thread) on PostgreSQL; every "
        "object is validated on ingest (STIX 2.1 properties, pattern grammar, TLP, "
        "de-duplication) and gets its own date_added. medallion 3.0.0: memory backend, "
        "Flask's server, as a separate process.",
        "",
        f"PostgreSQL autovacuum on the bench server: {result.get('autovacuum', '?')}. "
        + ("After each load the bench runs `ANALYZE intel_stixobject` (what autovacuum does on "
           "a production server) and its time is in the JSON; without fresh statistics the "
           "planner sorts every remaining row of the collection for each page (see "
           "taxii-2026-11-25-no-analyze.md)." if result["args"]["analyze"] else
           "The planner's statistics were left as they were after the load (`--no-analyze`)."),
        "",
        "## Side by side: the same bundles into both servers",
        "",
        f"{result['args']['side_count']:,} indicators POSTed in bundles of "
        f"{result['args']['bundle']:,}, then paged with per_request={result['args']['side_page']}.",
        "",
        "| server | POST objects/s | POST s | paging s | pages | page p50 ms | page p95 ms | "
        "objects paged |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in result["side_by_side"].items():
        p, g = r["post"], r["paging"]
        lines.append(f"| {name} | {p['objects_per_s']:,} | {p['seconds']} | {g['seconds']} | "
                     f"{g['pages']} | {g['per_page']['p50_ms']} | {g['per_page']['p95_ms']} | "
                     f"{g['objects']:,} ({g['distinct']:,} distinct) |")
    lines += ["", "## renkei alone on PostgreSQL", ""]
    if result["large"]:
        lines += [
            f"POST in bundles of {result['args']['bundle']:,} up to each size (cumulative), "
            f"then the whole collection paged with limit {result['args']['page']:,}.",
            "",
            "| collection size | POST objects/s (this step) | paging s | µs per object | "
            "page p50 ms | page p95 ms | page max ms | median page ms by tenth of the walk |",
            "|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in result["large"]:
            p, g = r["post"], r["paging"]
            lines.append(
                f"| {r['size']:,} | {p['objects_per_s']:,} | {g['seconds']} | "
                f"{g['us_per_object']} | {g['per_page']['p50_ms']} | {g['per_page']['p95_ms']} "
                f"| {g['per_page']['max_ms']} | "
                f"{', '.join(str(x) for x in g['per_page_by_tenth'])} |")
    else:
        lines.append("Not run.")
    lines += ["", "## Targets", ""]
    lines += _verdicts(result)
    if result["notes"]:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def _dirty(m: dict) -> str:
    if not m["uncommitted_src"]:
        return ""
    return f" (uncommitted changes in {', '.join(m['uncommitted_src'][:5])} …)"


def _verdicts(result: dict) -> list[str]:
    out = []
    if result["large"]:
        rates = [r["post"]["objects_per_s"] for r in result["large"]]
        out.append(f"- Ingest ≥ 5,000 validated objects/s: measured {min(rates):,}–"
                   f"{max(rates):,} objects/s per step → "
                   f"{'met' if min(rates) >= 5000 else 'not met'}.")
        biggest = result["large"][-1]
        p95 = biggest["paging"]["per_page"]["p95_ms"]
        out.append(f"- p95 ≤ 50 ms per page of 1,000 at {biggest['size']:,} objects: "
                   f"{p95} ms → {'met' if p95 <= 50 else 'not met'}"
                   f"{'' if biggest['size'] >= 1_000_000 else ' (measured below 1,000,000)'}.")
        per_object = [r["paging"]["us_per_object"] for r in result["large"]]
        medians = [r["paging"]["per_page"]["p50_ms"] for r in result["large"]]
        sizes = ", ".join(format(r["size"], ",") for r in result["large"])
        out.append(
            f"- Paging linear in the collection size: at {sizes} objects the median page took "
            f"{', '.join(str(x) for x in medians)} ms (a deep page costs what a shallow one "
            f"does: see the tenths above), the whole walk {', '.join(str(x) for x in per_object)}"
            f" µs per object. Growth from the smallest to the largest size: median page "
            f"×{medians[-1] / medians[0]:.2f}, time per object "
            f"×{per_object[-1] / per_object[0]:.2f}"
            f" for ×{result['large'][-1]['size'] / result['large'][0]['size']:.0f} the objects.")
    side = result["side_by_side"]
    if "renkei" in side and "medallion" in side:
        out.append(f"- Beside medallion ({result['args']['side_count']:,} indicators): paging "
                   f"{side['medallion']['paging']['seconds']} s there, "
                   f"{side['renkei']['paging']['seconds']} s in renkei; POST "
                   f"{side['medallion']['post']['objects_per_s']:,} vs "
                   f"{side['renkei']['post']['objects_per_s']:,} objects/s.")
    return out


if __name__ == "__main__":
    raise SystemExit(main())

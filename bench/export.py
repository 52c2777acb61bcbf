"""Measure the topic export (CSV, and XLSX) on a world made by bench/generate_world.py.

    .venv/bin/python bench/export.py --db postgresql
    .venv/bin/python bench/export.py --db sqlite --sizes 10000 100000 --no-xlsx

Picks a person who reads at least the largest size of topics (people of the organisations in the
most communities), and for each size a `from` date such that the export holds about that many
rows. Then:

- over HTTP against `renkei serve --workers 1 --threads 1` (so one process serves every export):
  the time to the first byte and to the last, the bytes and rows received, and the worker's
  resident memory sampled every 10 ms while the export runs (VmRSS), plus its VmHWM (the
  process's peak since it started) after each export, smallest export first;
- in-process: the same rows through export.csv_pieces with tracemalloc (peak of Python
  allocations) and the process's peak RSS.

Flat memory means the 100,000-row export peaks at about what the 10,000-row one does.
Results: bench/results/export-<db>-<date>[-<label>].{md,json}.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import resource
import sys
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from generate_world import DEFAULT_URLS, REPO, TMP_DIR, bench_env, summary_path, vendor_of  # noqa: E402
from pages import children_of, login, machine, start_server  # noqa: E402

RESULTS = BENCH_DIR / "results"
TOKYO = timedelta(hours=9)


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def pick_reader(largest: int):
    """A participant who reads at least `largest` exportable topics: the people of the
    organisations in the most communities, first who qualifies."""
    from django.db.models import Count

    from renkei.accounts.models import User
    from renkei.communities.models import Membership
    from renkei.sharing.models import CONFINED_TLP
    from renkei.sharing.visibility import readable_topics

    per_org = (Membership.objects.filter(state="active", organisation__isnull=False)
               .values("organisation_id").annotate(n=Count("id")).order_by("-n")[:10])
    for row in per_org:
        user = (User.objects.filter(organisation_id=row["organisation_id"], is_active=True,
                                    organisation__kind="participant").order_by("id").first())
        if user is None:
            continue
        topics = readable_topics(user).exclude(tlp__in=CONFINED_TLP)
        if topics[largest:largest + 1].exists():
            return user, topics
    raise RuntimeError(f"nobody reads {largest:,} topics")


def from_date_for(topics, size: int) -> str:
    """The Tokyo day from which the reader's newest topics number about `size`."""
    nth = topics.order_by("-created_at", "-id").values_list("created_at", flat=True)[size - 1]
    return (nth + TOKYO).date().isoformat()


def reset_peak(pid: int) -> None:
    """Start VmHWM afresh (Linux: 5 > clear_refs), so it is this export's peak alone."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


class Sampler(threading.Thread):
    """Peak VmRSS of one process, read every `every` seconds until stopped."""

    def __init__(self, pid: int, every: float = 0.01):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_kb, self.samples = pid, every, 0, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))
            self.samples += 1
            time.sleep(self.every)

    def stop(self) -> int:
        self.stopped.set()
        self.join()
        return self.peak_kb


def http_export(port: int, path: str, cookies: dict, worker: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1200)
    reset_peak(worker)
    rss_before = status_kb(worker, "VmRSS")
    sampler = Sampler(worker)
    sampler.start()
    t0 = time.perf_counter()
    conn.request("GET", path, headers={
        "Host": "127.0.0.1", "Accept-Language": "ja",
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    response = conn.getresponse()
    first, size, lines = None, 0, 0
    while chunk := response.read(65536):
        if first is None:
            first = time.perf_counter() - t0
        size += len(chunk)
        lines += chunk.count(b"\n")
    total = time.perf_counter() - t0
    peak = sampler.stop()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    return {"status": response.status, "seconds": round(total, 2),
            "first_byte_s": round(first or total, 3), "bytes": size, "lines": lines,
            "rss_before_mb": round(rss_before / 1024, 1),
            "rss_peak_mb": round(peak / 1024, 1),
            "rss_after_mb": round(status_kb(worker, "VmRSS") / 1024, 1),
            "hwm_after_mb": round(status_kb(worker, "VmHWM") / 1024, 1),
            "rss_samples": sampler.samples}


def in_process_csv(user, from_day: str) -> dict:
    from renkei.communities import export

    request = export.parse_export_request({"from": from_day}, user)
    labels = export.labels_for(user, "http://bench.invalid/topics/")
    counter = export.ExportCounter(user, export.CSV, request, None)
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    size = 0
    for piece in export.csv_pieces(export.export_rows(user, request, labels), labels,
                                   confined=False, counter=counter):
        size += len(piece)
    seconds = time.perf_counter() - t0
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rows": counter.rows, "bytes": size, "seconds": round(seconds, 2),
            "tracemalloc_peak_mb": round(peak / 1024 ** 2, 2),
            "process_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                                       1)}


def write_report(result: dict, vendor: str) -> Path:
    stem = f"export-{vendor}-{result['date'][:10]}" + (
        f"-{result['label']}" if result["label"] else "")
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    m, w = result["machine"], result["world"]
    lines = [
        f"# Topic export on {m['database']} — {result['date']}"
        + (f" — {result['label']}" if result["label"] else ""), "",
        (f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}, "
         f"Django {m['django']}, gunicorn {m['gunicorn']}, {m['database']}. Load average at "
         f"start {', '.join(f'{x:.2f}' for x in m['loadavg_start'])}, at end "
         f"{', '.join(f'{x:.2f}' for x in result['loadavg_end'])} (the machine is shared)."), "",
        f"Code: commit {m['commit']}" + (f" plus uncommitted changes in {m['uncommitted_src']}"
                                         if m["uncommitted_src"] else "") + ".", "",
        (f"World: scale {w['scale']} ({w['rows'].get('communities_topic', 0):,} topics). "
         f"Reader: {result['reader']['email']} ({result['reader']['readable']:,} readable "
         "topics without TLP:RED/AMBER+STRICT). Each size is a `from=` date on the reader's "
         "full list (no search words), newest first."), "",
        ("HTTP: `renkei serve --workers 1` with RENKEI_THREADS=1 and RENKEI_RUN_WORKER=0: one "
         "gunicorn worker serves every export, one after another, smallest first. RSS = that "
         "worker's resident memory; peak sampled every 10 ms during the download; VmHWM = the "
         "kernel's exact peak during that export (reset before each one through "
         "/proc/<pid>/clear_refs)."), "",
        "| format | rows | from | seconds | first byte s | MB | rows/s | RSS before MB | "
        "RSS peak MB | RSS after MB | VmHWM after MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["http"]:
        rows = row["rows"]
        lines.append(
            f"| {row['format']} | {rows:,} | {row['from']} | {row['seconds']} | "
            f"{row['first_byte_s']} | {row['bytes'] / 1024 ** 2:.1f} | "
            f"{rows / row['seconds']:,.0f} | {row['rss_before_mb']} | {row['rss_peak_mb']} | "
            f"{row['rss_after_mb']} | {row['hwm_after_mb']} |")
    lines += ["", "In-process (this bench process, CSV pieces generated and dropped): "
              "tracemalloc peak = Python allocations during the export; max RSS = the "
              "process's peak so far.", "",
              "| rows | seconds | MB | tracemalloc peak MB | process max RSS MB |",
              "|---|---|---|---|---|"]
    for row in result["in_process"]:
        lines.append(f"| {row['rows']:,} | {row['seconds']} | {row['bytes'] / 1024 ** 2:.1f} | "
                     f"{row['tracemalloc_peak_mb']} | {row['process_maxrss_mb']} |")
    md = RESULTS / f"{stem}.md"
    md.write_text("\n".join(lines) + "\n")
    return md


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=sorted(DEFAULT_URLS), default="postgresql")
    parser.add_argument("--database-url")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--no-xlsx", action="store_true")
    parser.add_argument("--xlsx-sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)
    database_url = args.database_url or DEFAULT_URLS[args.db]
    vendor = vendor_of(database_url)
    world = json.loads(summary_path(database_url).read_text())
    os.environ.update(bench_env(database_url))
    os.environ.update(RENKEI_RUN_WORKER="0", RENKEI_THREADS="1")
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()

    info = machine(vendor)
    sizes = sorted(args.sizes)
    user, topics = pick_reader(max(sizes))
    reader = {"email": user.email, "user_id": user.id, "readable": topics.count()}
    days = {size: from_date_for(topics, size) for size in set(sizes + args.xlsx_sizes)}
    print(reader, days, flush=True)
    server = start_server(database_url, args.port, 1, TMP_DIR / f"server-export-{vendor}.log")
    http_rows = []
    try:
        workers = children_of(server.pid)
        if len(workers) != 1:
            raise RuntimeError(f"expected one gunicorn worker, found {workers}")
        cookies = login(args.port, user.email, world["password"])
        plan = [("csv", size) for size in sizes]
        if not args.no_xlsx:
            plan += [("xlsx", size) for size in sorted(args.xlsx_sizes)]
        for fmt, size in plan:
            row = {"format": fmt, "size": size, "from": days[size], **http_export(
                args.port, f"/topics/export.{fmt}?from={days[size]}", cookies, workers[0])}
            # CSV: a BOM+header line then one line per row (titles hold no newline).
            # XLSX: the same rows as the CSV of the same `from` (the audit log counts them).
            csv_rows = {r["size"]: r["rows"] for r in http_rows if r["format"] == "csv"}
            row["rows"] = row["lines"] - 1 if fmt == "csv" else csv_rows.get(size, size)
            print(row, flush=True)
            http_rows.append(row)
    finally:
        server.terminate()
        server.wait(timeout=30)
    in_proc = []
    for size in sizes:
        row = in_process_csv(user, days[size])
        print(row, flush=True)
        in_proc.append(row)
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "label": args.label,
              "machine": info, "loadavg_end": os.getloadavg(),
              "world": {k: world[k] for k in ("scale", "generated_at", "rows")},
              "reader": reader, "from_days": days, "http": http_rows, "in_process": in_proc}
    print(write_report(result, vendor))
    return 0


if __name__ == "__main__":
    sys.exit(main())

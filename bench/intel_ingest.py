"""Ingest of validated STIX objects, in process, old code beside new code in one run.

    .venv/bin/python bench/intel_ingest.py                       # 30,000 indicators, PostgreSQL
    .venv/bin/python bench/intel_ingest.py --count 50000 --baseline a400b38
    .venv/bin/python bench/intel_ingest.py --db sqlite            # the embedded default

For each variant (the `--baseline` commit's src/, exported with `git archive`, and the work
tree's src/), a child process drops and re-creates the database `renkei_bench_ingest`,
migrates it, makes one organisation, one person and one closed community, and calls
`renkei.intel.services.ingest` with bundles of `--batch` indicators (bench/taxii_data: the same
objects as the TAXII benchmark, text parsed with json.loads inside the timing). Every object
goes through the full check (STIX properties, pattern grammar, TLP), de-duplication and its
own date_added. The figure is validated objects per second for each batch; after the load the
first batch is posted again (all duplicates, a success each) and timed on its own.
`--rounds N` alternates the variants N times, so a change of machine load hits both.

Results: bench/results/intel-ingest-<date>[-<label>].{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from generate_world import REPO, TMP_DIR, bench_env, recreate_database  # noqa: E402

URLS = {"postgresql": "postgres://postgres@127.0.0.1:5432/renkei_bench_ingest",
        "sqlite": f"sqlite:///{TMP_DIR / 'renkei_bench_ingest.sqlite3'}"}
RESULTS = BENCH_DIR / "results"


# --- the child: one variant ------------------------------------------------------------------

def child(args) -> None:
    database_url = URLS[args.db]
    sys.path.insert(0, args.src)
    recreate_database(database_url)
    os.environ.update(bench_env(database_url))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import renkei.intel.services as services
    from renkei.accounts.services import create_organisation, create_user
    from renkei.communities.services import create_community
    from renkei.intel.models import Source, StixObject
    from taxii_data import bundles

    assert str(Path(services.__file__).resolve()).startswith(str(Path(args.src).resolve())), \
        services.__file__
    org = create_organisation(name="ベンチ通信", kind="participant")
    user = create_user(email="bench@bench.example", name="ベンチ 太郎", organisation=org,
                       password="bench-Passw0rd-2026", is_org_admin=True)
    community = create_community(actor=user, name="取り込み", kind="closed")

    def post(text: str):
        began = time.perf_counter()
        objects = json.loads(text)["objects"]
        result = services.ingest(objects, community=community, user=user, source=Source.TAXII)
        return time.perf_counter() - began, result

    rates, first_text = [], None
    for text in bundles(0, args.count, args.batch):
        first_text = first_text or text
        seconds, result = post(text)
        if result.failures or len(result.stored) != args.batch:
            raise RuntimeError(f"unexpected result: {result.failures[:3]}")
        rates.append(args.batch / seconds)
    seconds, result = post(first_text)
    assert len(result.duplicates) == args.batch, "a re-post must be all duplicates"
    stored = StixObject.objects.filter(community=community).count()
    assert stored == args.count, stored
    print(json.dumps({"rates": rates, "repost_rate": args.batch / seconds,
                      "loadavg": os.getloadavg()}))


# --- the parent ------------------------------------------------------------------------------

def snapshot(commit: str) -> Path:
    """The commit's src/ in bench/results/tmp, exported once."""
    target = TMP_DIR / f"intel-ingest-src-{commit}"
    if not (target / "src" / "renkei").exists():
        archive = subprocess.run(["git", "archive", "--format=tar", commit, "src"], cwd=REPO,
                                 check=True, capture_output=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return target / "src"


def run_variant(src: Path, args) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--src", str(src), "--db", args.db,
         "--count", str(args.count), "--batch", str(args.batch)],
        cwd=REPO, check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(src)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarise(rates: list[float], batch: int) -> dict:
    ordered = sorted(rates)
    return {"batches": len(rates), "overall": round(len(rates) * batch / sum(batch / r
                                                                             for r in rates)),
            "median": round(statistics.median(rates)), "min": round(ordered[0]),
            "p5": round(ordered[int(0.05 * len(ordered))]), "max": round(ordered[-1])}


def machine_info(args) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "")
    git = lambda *a: subprocess.run(["git", *a], cwd=REPO, capture_output=True,  # noqa: E731
                                    text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": sys.version.split()[0],
            "commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted_src": git("status", "--porcelain", "src/renkei/intel").splitlines(),
            "loadavg_start": os.getloadavg()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=30_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--db", choices=sorted(URLS), default="postgresql")
    parser.add_argument("--baseline", default="a400b38",
                        help="the commit whose src/ is the 'before' (default: before this work)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--label", default="")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    if args.child:
        child(args)
        return 0

    info = machine_info(args)
    variants = {f"before ({args.baseline})": snapshot(args.baseline),
                "after (work tree)": REPO / "src"}
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for round_ in range(args.rounds):
        for name, src in variants.items():
            print(f"round {round_ + 1}: {name}", flush=True)
            runs[name].append(run_variant(src, args))
            print(json.dumps(summarise(runs[name][-1]["rates"], args.batch)), flush=True)
    info["loadavg_end"] = os.getloadavg()
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": info,
              "args": {k: v for k, v in vars(args).items() if k not in ("child", "src")},
              "runs": runs}
    day = result["date"][:10]
    stem = RESULTS / f"intel-ingest-{day}{'-' + args.label if args.label else ''}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    stem.with_suffix(".md").write_text(report(result))
    print(f"written: {stem.with_suffix('.md')}")
    return 0


def report(result: dict) -> str:
    m, a = result["machine"], result["args"]
    load = lambda t: tuple(round(x, 1) for x in t)  # noqa: E731
    lines = [
        f"# STIX ingest, before and after — {result['date'][:10]}", "",
        f"Machine: {m['cpu']}, {m['cores']} cores, shared with other work; Python "
        f"{m['python']}; {a['db']} (database renkei_bench_ingest, fresh for each variant); "
        f"HEAD {m['commit']}"
        + (f", uncommitted in src/renkei/intel: {len(m['uncommitted_src'])} files"
           if m["uncommitted_src"] else "") + ". "
        f"Load average at start {load(m['loadavg_start'])}, at end {load(m['loadavg_end'])}.",
        "",
        f"{a['count']:,} indicators (bench/taxii_data) into one community through "
        f"`intel.services.ingest`, in batches of {a['batch']:,}, in process (no HTTP); each "
        "batch's time includes json.loads of its bundle text. Every object fully validated, "
        "de-duplicated and given its own date_added. Variants alternated "
        f"{a['rounds']} time(s).", "",
        "| variant | round | objects/s overall | median batch | p5 batch | slowest batch | "
        "re-post of a batch (all duplicates) objects/s | load average after |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, runs in result["runs"].items():
        for i, run in enumerate(runs, 1):
            s = summarise(run["rates"], a["batch"])
            lines.append(f"| {name} | {i} | {s['overall']:,} | {s['median']:,} | {s['p5']:,} | "
                         f"{s['min']:,} | {round(run['repost_rate']):,} | "
                         f"{load(run['loadavg'])} |")
    after = [summarise(r["rates"], a["batch"]) for r in result["runs"]["after (work tree)"]]
    worst = min(s["overall"] for s in after)
    lines += ["", f"Target ≥ 5,000 validated objects/s: after, overall {worst:,} objects/s in "
              f"the slowest round → {'met' if worst >= 5000 else 'not met'}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())

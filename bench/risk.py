"""Measure risk assessment (issue 6): feedback reports for many organisations, and the XLSX
import of a long assessment.

    .venv/bin/python bench/risk.py --db sqlite
    .venv/bin/python bench/risk.py --db postgresql      # database renkei_bench_risk

On a database of its own (re-created each run): two rounds, ORGS participant organisations
(spread over the sectors), each with a submitted version of ROWS rows in both rounds. Then:

1. feedback, builder only: `feedback.build_report` for every organisation, from rows already in
   memory, beside the previous round (the pure computation);
2. feedback, end to end: `services.generate_feedback` for the round — reads every
   organisation's rows and previous round from the database, builds and writes every report in
   one transaction (what closing a round does). Baseline in the same run: reading the same rows
   with one `values_list` query and nothing else;
3. XLSX import of IMPORT_ROWS rows: `xlsx.read_upload` (checks every cell and row) with
   tracemalloc's peak and the process's peak RSS, then `services.replace_rows` writing them.
   Baseline in the same run: openpyxl's read-only iteration over the same file, values only.

Target (issue 6): all feedback reports for 300 organisations × 200 rows in ≤ 5 s.
Results: bench/results/risk-<db>-<date>.{md,json}.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"
TMP_DIR = RESULTS / "tmp"
DEFAULT_URLS = {
    "postgresql": "postgres://postgres@127.0.0.1:5432/renkei_bench_risk",
    "sqlite": f"sqlite:///{TMP_DIR / 'renkei_bench_risk.sqlite3'}",
}


def recreate(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    base, _, name = database_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str) -> None:
    (TMP_DIR / "var").mkdir(parents=True, exist_ok=True)
    os.environ.update(DATABASE_URL=database_url, RENKEI_VAR_DIR=str(TMP_DIR / "var"),
                      DJANGO_SETTINGS_MODULE="renkei.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(orgs: int, rows: int, seed: int) -> dict:
    """Two rounds, `orgs` organisations, a submitted version of `rows` rows in each round."""
    from renkei.accounts.models import Organisation, RoleAssignment, Sector, User
    from renkei.risk.models import Round, RoundTarget, Submission, SubmissionRow
    from renkei.risk.services import catalogue_of, ensure_catalogue

    rng = random.Random(seed)
    centre = Organisation.objects.create(name="センター", kind="centre")
    assessor = User.objects.create_user(email="assessor@bench.example", name="評価 担当",
                                        organisation=centre)
    RoleAssignment.objects.create(user=assessor, role="risk_assessor")
    sectors = [s for s in Sector.values]
    created = Organisation.objects.bulk_create(
        Organisation(name=f"事業者{i:04d}", kind="participant", sector=sectors[i % len(sectors)])
        for i in range(orgs))
    version = ensure_catalogue()
    catalogue = catalogue_of(version)
    pairs = [(s, t) for s, by in catalogue.source_cells.items() for t in by]
    outcomes = list(catalogue.outcomes)
    assets = ["コアネットワーク", "業務システム", "顧客情報", "公式ウェブサイト", "制御システム"]
    rounds = []
    for number in (1, 2):
        the_round = Round.objects.create(number=number, title=f"第{number}回",
                                         opens_on=date(2026, 1, 1), closes_on=date(2026, 2, 1),
                                         catalogue=version, state="closed")
        RoundTarget.objects.bulk_create(RoundTarget(round=the_round, organisation=o)
                                        for o in created)
        subs = Submission.objects.bulk_create(
            Submission(round=the_round, organisation=o, version=1, state="submitted",
                       pdca={str(k): rng.randint(0, 4) for k in range(1, 11)},
                       submitted_at=datetime.now(UTC)) for o in created)
        batch = []
        for sub in subs:
            for position in range(1, rows + 1):
                source, threat = rng.choice(pairs)
                explicit = rng.random() < 0.3
                batch.append(SubmissionRow(
                    submission=sub, position=position, asset=rng.choice(assets),
                    outcome=rng.choice(outcomes), threat=threat, risk_source=source,
                    phases=["delivery"] if explicit and catalogue.uses_kill_chain(threat) else [],
                    cia=["A"] if explicit else [], likelihood=rng.randint(1, 5),
                    impact=rng.randint(1, 5), risk_level="medium", treatment="reduce"))
            if len(batch) >= 20_000:
                SubmissionRow.objects.bulk_create(batch, batch_size=5000)
                batch = []
        SubmissionRow.objects.bulk_create(batch, batch_size=5000)
        rounds.append(the_round)
    return {"assessor": assessor, "rounds": rounds, "orgs": created, "catalogue": catalogue}


def timed(func):
    gc.collect()
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def bench_feedback(world: dict, orgs: int, rows: int) -> dict:
    from renkei.risk import services
    from renkei.risk.feedback import build_report
    from renkei.risk.models import SubmissionRow

    catalogue = world["catalogue"]
    first, second = world["rounds"]
    rows_by = {}
    for round_ in (first, second):
        for sub in round_.submissions.all():
            rows_by[(round_.pk, sub.organisation_id)] = services.plain_rows(sub)

    def builder_only():
        cache = {}
        for org in world["orgs"]:
            key = (org.sector, "standard")
            expected = cache.get(key) or cache.setdefault(key, catalogue.expected(*key))
            build_report(catalogue, org.sector, "standard", rows_by[(second.pk, org.pk)],
                         previous=(catalogue, rows_by[(first.pk, org.pk)]), expected=expected)

    builder_s, _ = timed(builder_only)
    baseline_s, count = timed(lambda: len(list(SubmissionRow.objects.filter(
        submission__round__in=[first, second]).values_list(
        "asset", "threat", "risk_source", "phases", "cia"))))
    end_to_end_s, written = timed(lambda: services.generate_feedback(
        actor=world["assessor"], round=second))
    assert written == orgs and count == 2 * orgs * rows
    return {"organisations": orgs, "rows_each": rows, "rows_read": count,
            "builder_only_s": round(builder_s, 3), "end_to_end_s": round(end_to_end_s, 3),
            "baseline_read_rows_s": round(baseline_s, 3), "target_s": 5.0,
            "met": end_to_end_s <= 5.0}


def bench_import(world: dict, rows: int) -> dict:
    from openpyxl import load_workbook

    from renkei.accounts.models import Organisation, User
    from renkei.risk import services
    from renkei.risk.models import Round, RoundTarget
    from renkei.risk.xlsx import ROWS_SHEET, build_template, read_upload

    catalogue = world["catalogue"]
    org = Organisation.objects.create(name="取込事業者", kind="participant", sector="telecom")
    admin = User.objects.create_user(email="admin@import.example", name="管理者",
                                     organisation=org, is_org_admin=True)
    the_round = Round.objects.create(number=3, title="第3回", opens_on=date(2026, 3, 1),
                                     closes_on=date(2026, 4, 1),
                                     catalogue=world["rounds"][0].catalogue, state="open")
    RoundTarget.objects.create(round=the_round, organisation=org)
    book = load_workbook(io.BytesIO(build_template(the_round, catalogue, org)))
    sheet = book[ROWS_SHEET]
    rng = random.Random(7)
    pairs = [(s, t) for s, by in catalogue.source_cells.items() for t in by]
    for _ in range(rows):
        source, threat = rng.choice(pairs)
        sheet.append(["コアネットワーク", catalogue.option("outcomes", "O1"),
                      catalogue.option("threats", threat),
                      catalogue.option("risk_sources", source), "", "", "監視", rng.randint(1, 5),
                      rng.randint(1, 5), "", "低減"])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    del book, sheet

    def bare():
        workbook = load_workbook(io.BytesIO(data), read_only=True)
        n = sum(1 for _ in workbook[ROWS_SHEET].iter_rows(min_row=2, values_only=True))
        workbook.close()
        return n

    baseline_s, _ = timed(bare)
    read_s, imported = timed(lambda: read_upload(data, the_round, catalogue))
    # Memory in a second run: tracemalloc slows Python down several times.
    tracemalloc.start()
    read_upload(data, the_round, catalogue)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    draft = services.start_draft(actor=admin, round=the_round)
    write_s, _ = timed(lambda: services.replace_rows(actor=admin, submission=draft,
                                                     rows=imported.rows))
    assert draft.rows.count() == rows
    return {"rows": rows, "file_bytes": len(data), "read_and_check_s": round(read_s, 3),
            "tracemalloc_peak_mb": round(peak / 2**20, 1),
            "write_rows_s": round(write_s, 3),
            "baseline_openpyxl_iterate_s": round(baseline_s, 3),
            "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                         / 1024, 1)}


def machine(vendor: str) -> dict:
    import django
    from django.db import connection

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "")
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version" if vendor == "postgresql"
                       else "SELECT sqlite_version()")
        db = f"{'PostgreSQL' if vendor == 'postgresql' else 'SQLite'} {cursor.fetchone()[0]}"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                            capture_output=True, text=True).stdout.strip()
    return {"commit": commit, "cpu": cpu, "cores": os.cpu_count(),
            "memory_gb": round(mem_kb / 1024 ** 2, 1), "python": platform.python_version(),
            "django": django.get_version(), "database": db, "loadavg": os.getloadavg()}


def write(result: dict, vendor: str) -> Path:
    day = result["date"][:10]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"risk-{vendor}-{day}.json").write_text(json.dumps(result, indent=2,
                                                                  ensure_ascii=False))
    f, x, m = result["feedback"], result["import"], result["machine"]
    lines = [
        f"# Risk assessment benchmark — {vendor}, {result['date']}", "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}, "
        f"Django {m['django']}, {m['database']}; commit {m['commit']}; "
        f"load average at start {', '.join(f'{v:.2f}' for v in m['loadavg'])} (the machine "
        "is shared with other helpers' work).", "",
        f"Generating the data (not timed below) took {result['generate_s']:.1f} s.", "",
        "## Feedback reports (target: all in ≤ 5 s)", "",
        "| what | seconds |", "| --- | ---: |",
        f"| {f['organisations']} organisations × {f['rows_each']} rows, beside the previous "
        f"round: builder only (rows in memory) | {f['builder_only_s']:.2f} |",
        f"| same, end to end: `generate_feedback` reads {f['rows_read']:,} rows, builds and "
        f"writes {f['organisations']} reports | **{f['end_to_end_s']:.2f}** |",
        f"| baseline: read the same {f['rows_read']:,} rows, nothing else | "
        f"{f['baseline_read_rows_s']:.2f} |", "",
        f"Target ≤ 5 s: **{'met' if f['met'] else 'missed'}**.", "",
        f"## XLSX import of {x['rows']:,} rows", "",
        "| what | figure |", "| --- | ---: |",
        f"| file size | {x['file_bytes'] / 2**20:.2f} MB |",
        f"| `read_upload`: open, check every cell and row | {x['read_and_check_s']:.2f} s |",
        f"| its peak Python allocations (tracemalloc, a second run) | "
        f"{x['tracemalloc_peak_mb']:.1f} MB |",
        f"| `replace_rows`: write the rows in one transaction | {x['write_rows_s']:.2f} s |",
        f"| baseline: openpyxl read-only iteration, values only | "
        f"{x['baseline_openpyxl_iterate_s']:.2f} s |",
        f"| process peak RSS at the end (whole run) | {x['process_peak_rss_mb']:.0f} MB |", "",
    ]
    path = RESULTS / f"risk-{vendor}-{day}.md"
    path.write_text("\n".join(lines))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=sorted(DEFAULT_URLS), default="sqlite")
    parser.add_argument("--database-url")
    parser.add_argument("--orgs", type=int, default=300)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    url = args.database_url or DEFAULT_URLS[args.db]
    recreate(url)
    sys.path.insert(0, str(REPO / "src"))
    setup_django(url)
    generate_s, world = timed(lambda: generate(args.orgs, args.rows, args.seed))
    result = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine":
              machine(args.db), "generate_s": round(generate_s, 1),
              "feedback": bench_feedback(world, args.orgs, args.rows),
              "import": bench_import(world, args.import_rows)}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(write(result, args.db))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

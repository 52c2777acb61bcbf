"""How long a bounded frequency probe of each search term takes (bench only): the first step
of choosing between the GIN `IN` and the newest-first EXISTS probe (see bench/README.md).

    DATABASE_URL=... RENKEI_VAR_DIR=bench/results/tmp/var OUT=out.json \
        .venv/bin/python bench/search_frequency_probe.py 攻撃 脆弱性 48213
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkei.settings")
BOUND = 2000


def main() -> None:
    import django

    django.setup()
    from django.db import connection

    from renkei.communities.search import search_terms
    from renkei.communities.search_index import topic_ids_sql

    out = []
    for word in sys.argv[1:]:
        for term in search_terms(word):
            sql, params = topic_ids_sql(term)
            probe = f"SELECT count(*) FROM ({sql} LIMIT {BOUND}) s"
            times = []
            with connection.cursor() as cursor:
                for run in range(4):  # the first warms the cache
                    t0 = time.perf_counter()
                    cursor.execute(probe, params)
                    matches = cursor.fetchone()[0]
                    if run:
                        times.append((time.perf_counter() - t0) * 1000)
            row = {"term": term, f"matches_up_to_{BOUND}": matches,
                   "ms_median": round(sorted(times)[1], 1)}
            print(row, flush=True)
            out.append(row)
    Path(os.environ.get("OUT", "frequency.json")).write_text(
        json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

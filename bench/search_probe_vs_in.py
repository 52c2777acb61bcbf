"""Search variants in-process (bench only): the current `id IN (GIN subquery)` against a
per-topic EXISTS probe walking the newest topics, for people (ids, comma-separated) and words.

    DATABASE_URL=... RENKEI_VAR_DIR=bench/results/tmp/var OUT=out.json \
        .venv/bin/python bench/search_probe_vs_in.py 664,676 攻撃 脆弱性 48213
"""

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkei.settings")


def timed(fn):
    fn()  # warm
    t0 = time.perf_counter()
    result = fn()
    return round((time.perf_counter() - t0) * 1000, 1), result


def main() -> None:
    import django

    django.setup()
    from django.db.models import Exists, OuterRef, Value
    from django.db.models.functions import StrIndex

    from renkei.accounts.models import User
    from renkei.communities.models import TopicSearchEntry
    from renkei.communities.search import parse_topic_query, search_terms, search_topics
    from renkei.sharing.visibility import readable_topics

    out = []
    for uid in map(int, sys.argv[1].split(",")):
        user = User.objects.get(pk=uid)
        for word in sys.argv[2:]:
            current = search_topics(user, replace(parse_topic_query({"q": word}, user),
                                                  sort="updated"))
            probe = readable_topics(user)
            for term in search_terms(word):
                holds = (TopicSearchEntry.objects.filter(topic_id=OuterRef("pk"))
                         .annotate(at=StrIndex("text", Value(term))).filter(at__gt=0))
                probe = probe.filter(Exists(holds))
            probe = probe.order_by("-updated_at", "-id")
            a_list, rows_a = timed(lambda q=current: list(q.values_list("id", flat=True)[:20]))
            a_count, count_a = timed(lambda q=current: q[:1001].count())
            b_list, rows_b = timed(lambda q=probe: list(q.values_list("id", flat=True)[:20]))
            b_count, count_b = timed(lambda q=probe: q[:1001].count())
            row = {"user": uid, "word": word, "in_list_ms": a_list, "in_count_ms": a_count,
                   "exists_list_ms": b_list, "exists_count_ms": b_count,
                   "same": rows_a == rows_b and count_a == count_b, "count": count_a}
            print(row, flush=True)
            out.append(row)
    Path(os.environ.get("OUT", "probe.json")).write_text(
        json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

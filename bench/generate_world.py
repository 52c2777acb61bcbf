"""Generate a large renkei world for the page benchmark, fast.

    .venv/bin/python bench/generate_world.py --db postgresql --scale 1.0
    .venv/bin/python bench/generate_world.py --db sqlite --scale 0.01

Scale 1.0 is the size issue 2 asks for: 5,000 organisations, 50,000 users, 500 communities (plus
one notification channel per organisation), 1,000,000 topics with audiences, comments and
acknowledgements. Rows are written directly — COPY on PostgreSQL, executemany in large
transactions on SQLite — never through the services, which audit and render per row; Markdown is
rendered once per body template. The database is dropped and re-created (`renkei migrate`) first.

A summary (counts, timings, the users picked for the benchmark) goes to
bench/results/tmp/world-<db>-<name>.json, where bench/pages.py finds it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
TMP_DIR = BENCH_DIR / "results" / "tmp"
VAR_DIR = TMP_DIR / "var"
PASSWORD = "bench-Passw0rd-2026"
DEFAULT_URLS = {
    "postgresql": "postgres://postgres@127.0.0.1:5432/renkei_bench",
    "sqlite": f"sqlite:///{TMP_DIR / 'renkei_bench.sqlite3'}",
}
TOKYO = timedelta(hours=9)
DAY = 86400
CHUNK = 20_000


def bench_env(database_url: str) -> dict[str, str]:
    """The environment every bench process (migrate, generator, server) shares."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, RENKEI_VAR_DIR=str(VAR_DIR),
               DJANGO_SETTINGS_MODULE="renkei.settings")
    return env


def summary_path(database_url: str) -> Path:
    """Where the generator leaves its summary for bench/pages.py: one per database."""
    name = Path(database_url.rstrip("/")).name.removesuffix(".sqlite3")
    return TMP_DIR / f"world-{vendor_of(database_url)}-{name}.json"


def vendor_of(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


# --- the database ----------------------------------------------------------------------------

def recreate_database(database_url: str) -> None:
    if vendor_of(database_url) == "sqlite":
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


def migrate(database_url: str) -> None:
    renkei = REPO / ".venv" / "bin" / "renkei"
    subprocess.run([str(renkei), "migrate", "--verbosity", "0"], check=True,
                   env=bench_env(database_url), cwd=REPO)


class Loader:
    """Writes rows of one model: COPY on PostgreSQL, executemany on SQLite.

    Columns not named by the caller get the field's default, so a new field with a default
    does not break the generator.
    """

    def __init__(self, connection):
        self.connection = connection
        self.vendor = connection.vendor
        self.raw = connection.connection
        self.now = datetime.now(UTC)
        self.rows_written: dict[str, int] = defaultdict(int)

    def dt(self, epoch: float) -> datetime:
        if self.vendor == "sqlite":  # Django keeps naive UTC text in SQLite
            return datetime(1970, 1, 1) + timedelta(seconds=epoch)
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=epoch)

    def _extras(self, model, names: list[str]) -> tuple[list[str], tuple]:
        columns, values = [], []
        for field in model._meta.concrete_fields:
            if field.primary_key or field.attname in names or field.name in names:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = self.now
            else:
                value = field.get_default()  # "" for blank text fields, None for nullable
                if value is None and not field.null:
                    raise RuntimeError(f"{model.__name__}.{field.name} needs a value")
            if isinstance(value, datetime) and self.vendor == "sqlite":
                value = value.astimezone(UTC).replace(tzinfo=None)
            if isinstance(value, (dict, list)):
                value = json.dumps(value)
            columns.append(field.column)
            values.append(value)
        return columns, tuple(values)

    def write(self, model, names: list[str], rows: Iterable[tuple]) -> int:
        meta = model._meta
        columns = [meta.get_field(name).column for name in names]
        extra_columns, extra_values = self._extras(model, names)
        columns += extra_columns
        quote = self.connection.ops.quote_name
        table = quote(meta.db_table)
        column_sql = ", ".join(quote(c) for c in columns)
        count = 0
        if self.vendor == "postgresql":
            with self.raw.cursor() as cursor, cursor.copy(
                f"COPY {table} ({column_sql}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row + extra_values if extra_values else row)
                    count += 1
            self.raw.commit()
        else:
            sql = f"INSERT INTO {table} ({column_sql}) VALUES ({', '.join('?' * len(columns))})"
            batch: list[tuple] = []
            self.raw.execute("BEGIN")
            for row in rows:
                batch.append(row + extra_values if extra_values else row)
                if len(batch) >= CHUNK:
                    self.raw.executemany(sql, batch)
                    count += len(batch)
                    batch.clear()
            if batch:
                self.raw.executemany(sql, batch)
                count += len(batch)
            self.raw.execute("COMMIT")
        self.rows_written[meta.db_table] += count
        return count


# --- what the world looks like ---------------------------------------------------------------

SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田",
            "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水", "山崎", "森",
            "池田", "橋本", "阿部", "石川", "前田", "藤田", "小川", "岡田"]
GIVEN = ["太郎", "花子", "健一", "美咲", "翔太", "陽子", "大輔", "由美", "拓也", "恵", "直樹",
         "愛", "誠", "智子", "亮", "真由美", "剛", "彩", "修", "舞"]
PLACES = ["東京", "大阪", "名古屋", "札幌", "福岡", "横浜", "神戸", "京都", "仙台", "広島",
          "千葉", "埼玉", "静岡", "新潟", "熊本", "沖縄", "北陸", "四国", "東北", "九州"]
SECTOR_WORDS = {
    "telecom": "通信", "broadcasting": "放送", "finance": "銀行", "aviation": "航空",
    "railway": "鉄道", "electricity": "電力", "gas": "ガス", "water": "水道",
    "logistics": "物流", "credit": "カード", "local_government": "市役所", "sewerage": "下水道",
    "airports": "空港", "traffic_control": "管制", "emergency_calls": "消防",
    "weather": "気象情報", "immigration": "出入国", "expressways": "高速道路",
    "heat_supply": "熱供給", "buses": "バス", "security_guards": "警備", "travel": "旅行",
    "hospitals": "病院", "venue": "競技会場",
}
TITLES = [
    "{p}地域における不審メールの観測について",
    "大会被害報告を装ったマルウェア付きメールに関する注意喚起 (第{n}報)",
    "#OpBoycottOlympics によるDDoS攻撃予告の観測",
    "偽のライブ配信サイトへの誘導に関する情報提供",
    "iOSのゼロデイ脆弱性 (CVE-2021-{n}) への対応について",
    "Windowsの脆弱性に関する緊急パッチの適用について ({n})",
    "{p}の会場ネットワークにおける不審な通信の観測",
    "フィッシングサイトの観測情報 ({n}件)",
    "ランサムウェア攻撃の国内被害事例について",
    "大会期間中の対応体制とスケジュール (更新{n})",
    "{p}エリアの交通系システムに関する注意喚起",
    "標的型攻撃に使われた通信先IPアドレスの共有",
]
BODIES = [
    ("## 概要\n\n{p}地域において、大会関係者を装った不審メールが観測されました。"
     "件名は「【重要】大会運営に関するご連絡」で、添付ファイルにマクロが含まれています。\n\n"
     "## 対応\n\n- 添付ファイルを開かないでください\n- 同様のメールを受信した場合は"
     "そうだんの窓口までご連絡ください\n\n観測件数: {n}件"),
    ("## 観測内容\n\n攻撃者グループによるDDoS攻撃の予告がSNS上で確認されました。"
     "対象として挙げられているのは **{p}** の組織です。\n\n| 日時 | 対象 | 種別 |\n|---|---|---|\n"
     "| 7/23 20:00 | 公式サイト | HTTP flood |\n| 7/24 09:00 | チケット販売 | DNS |\n\n"
     "参考: https://example.jp/advisory/{n}"),
    ("偽のライブ配信サイトへ誘導する広告が検索結果に表示されています。\n\n"
     "1. 視聴には会員登録が必要と表示される\n2. クレジットカード情報の入力を求められる\n"
     "3. 入力後、不正請求が発生する\n\n利用者からの問い合わせに備え、"
     "公式配信の案内を周知してください。(事例番号 {n})"),
    ("## 脆弱性情報\n\nベンダーから緊急のセキュリティ更新が公開されました。"
     "既に悪用が確認されているため、速やかな適用を推奨します。\n\n"
     "```\nCVE-2021-{n}\nCVSS 8.8\n```\n\n"
     "> 適用が困難な場合は、回避策の実施を検討してください。"),
    ("{p}の会場ネットワークで、外部の既知のC2サーバーとの通信が観測されました。"
     "該当端末は隔離済みです。\n\n同様の通信先への接続がないか、プロキシログの確認を"
     "お願いします。\n\n*通信先の一覧は添付の通りです ({n})*"),
]
COMMENTS = [
    "弊社でも同様のメールを{n}件受信しました。共有ありがとうございます。",
    "当該通信先への接続がないことを確認しました。",
    "**対応済み**です。パッチ適用を完了しました ({n}台)。",
    "追加の情報があれば共有をお願いします。\n\n- 観測時刻\n- 送信元",
    "こちらでも観測しています。続報を共有します。",
]
KINDS = ["vulnerability", "attack_foresight", "malware", "advisory", "observation", "incident",
         "schedule", "emergency"]


class Template:
    """A Markdown text rendered once; `{p}` and `{n}` are filled in the source and the HTML."""

    def __init__(self, source: str):
        from renkei.text import render_markdown

        self.source = source
        self.html = render_markdown(source)

    def fill(self, place: str, number: int) -> tuple[str, str]:
        # Place names and digits carry no Markdown or HTML meaning, so this is safe.
        return (self.source.replace("{p}", place).replace("{n}", str(number)),
                self.html.replace("{p}", place).replace("{n}", str(number)))


def zipf_weights(n: int, exponent: float = 0.8) -> list[float]:
    return [1.0 / (i + 1) ** exponent for i in range(n)]


class World:
    """Plans ids and relations in memory; the big tables are streamed to the Loader."""

    def __init__(self, scale: float, seed: int, loader: Loader):
        self.rng = random.Random(seed)
        self.loader = loader
        self.scale = scale
        self.n_orgs = max(12, round(5000 * scale))
        self.n_users = max(60, round(50_000 * scale))
        self.n_communities = max(8, round(500 * scale))
        self.n_topics = max(100, round(1_000_000 * scale))
        self.n_many_orgs = max(2, round(50 * scale))
        self.end = time.time()
        self.start = self.end - 730 * DAY
        self.org_users: dict[int, range] = {}
        self.summary: dict = {}

    # organisations and people ------------------------------------------------------------

    def organisations(self) -> None:
        from renkei.accounts.models import Organisation, Sector

        rng = self.rng
        sectors = [s for s in Sector.values]
        kinds = ["centre"] + ["ministry"] * max(1, round(12 * self.scale ** 0.5))
        kinds += ["agency"] * max(1, round(6 * self.scale ** 0.5))
        kinds += ["law_enforcement"] * max(1, round(4 * self.scale ** 0.5))
        kinds += ["vendor"] * max(1, round(10 * self.scale ** 0.5))
        kinds += ["participant"] * (self.n_orgs - len(kinds))
        self.org_kind = {i + 1: kind for i, kind in enumerate(kinds)}
        self.centre_id = 1
        ministries = [i for i, k in self.org_kind.items() if k == "ministry"]
        self.participants = [i for i, k in self.org_kind.items() if k == "participant"]
        self.org_name: dict[int, str] = {}
        rows = []
        for org_id, kind in self.org_kind.items():
            sector, ministry = "", None
            if kind == "centre":
                name = "大会サイバーセキュリティセンター"
            elif kind == "participant":
                sector = rng.choice(sectors)
                ministry = rng.choice(ministries)
                name = f"{rng.choice(PLACES)}{SECTOR_WORDS[sector]}株式会社 {org_id:05d}"
            else:
                label = {"ministry": "省", "agency": "セキュリティ機構",
                         "law_enforcement": "県警察本部", "vendor": "サイバー情報株式会社"}[kind]
                name = f"{rng.choice(PLACES)}{label} {org_id:05d}"
            self.org_name[org_id] = name
            rows.append((org_id, name, kind, sector, ministry, True))
        self.loader.write(Organisation,
                          ["id", "name", "kind", "sector", "supervising_ministry_id", "is_active"],
                          rows)

    def users(self) -> None:
        from django.contrib.auth.hashers import make_password

        from renkei.accounts.models import CentreRole, RoleAssignment, User

        rng = self.rng
        # Most organisations are small; a few are large. The centre has a staff of 60.
        counts = {org_id: 1 for org_id in self.org_kind}
        counts[self.centre_id] = min(60, self.n_users // 10)
        rest = self.n_users - sum(counts.values())
        org_ids = list(self.org_kind)
        weights = [rng.paretovariate(1.5) for _ in org_ids]
        for org_id in rng.choices(org_ids, weights, k=rest):
            counts[org_id] += 1
        password = make_password(PASSWORD)  # one argon2 hash for everyone: it is slow by design
        rows, user_id = [], 0
        for org_id in org_ids:
            first = user_id + 1
            for k in range(counts[org_id]):
                user_id += 1
                name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
                email = f"u{user_id}@org{org_id}.example.jp"
                rows.append((user_id, email, name, org_id, k == 0, False, True, "ja",
                             "Asia/Tokyo", password, None, self.loader.dt(self.start)))
            self.org_users[org_id] = range(first, user_id + 1)
        self.loader.write(User, ["id", "email", "name", "organisation_id", "is_org_admin",
                                 "is_platform_admin", "is_active", "language", "time_zone",
                                 "password", "last_login", "date_joined"], rows)
        roles = list(CentreRole.values)
        centre_users = self.org_users[self.centre_id]
        self.loader.write(RoleAssignment, ["user_id", "role"],
                          ((uid, roles[i % len(roles)]) for i, uid in enumerate(centre_users)))

    def random_user(self, org_id: int) -> int:
        users = self.org_users[org_id]
        return users[self.rng.randrange(len(users))]

    # communities and memberships ---------------------------------------------------------

    def communities(self) -> None:
        from renkei.communities.models import Community, Membership
        from renkei.communities.services import NOTIFICATION_CHANNEL_NAME

        rng = self.rng
        fixed = [("broadcast", "情報提供（一般）"), ("broadcast", "情報提供（プロ）"),
                 ("consultation", "そうだんの窓口"), ("manual", "マニュアル・FAQ")]
        rows, self.community_kind = [], {}
        for cid, (kind, name) in enumerate(fixed, start=1):
            rows.append((cid, 1, kind, name, "", self.centre_id, None, False))
            self.community_kind[cid] = kind
        n_member_communities = self.n_communities - len(fixed)
        # Order = popularity: the first communities get the most members and the most topics.
        self.member_communities = list(range(len(fixed) + 1, self.n_communities + 1))
        self.community_owner = {}
        for cid in self.member_communities:
            kind = "open" if rng.random() < 0.3 else "closed"
            owner = rng.choice(self.participants)
            self.community_owner[cid] = owner
            label = (f"{SECTOR_WORDS[rng.choice(list(SECTOR_WORDS))]}ISAC" if kind == "closed"
                     else f"{rng.choice(PLACES)}地域連携")
            rows.append((cid, 1, kind, f"{label} {cid:04d}", "業界内の情報共有の場です。",
                         owner, None, False))
            self.community_kind[cid] = kind
        self.channel_of: dict[int, int] = {}
        cid = self.n_communities
        for org_id in self.org_kind:
            cid += 1
            self.channel_of[org_id] = cid
            self.community_kind[cid] = "notification"
            rows.append((cid, 1, "notification",
                         NOTIFICATION_CHANNEL_NAME.format(name=self.org_name[org_id]), "",
                         self.centre_id, org_id, False))
        self.loader.write(Community, ["id", "environment_id", "kind", "name", "description",
                                      "owner_organisation_id", "notified_organisation_id",
                                      "is_archived"], rows)

        # Whole-organisation memberships: most organisations in 1–5 communities, picked by
        # popularity; a "many memberships" set in about 100–150; the centre in 40 %.
        popularity = zipf_weights(n_member_communities)
        members: dict[int, set[int]] = defaultdict(set)
        for cid, owner in self.community_owner.items():
            members[cid].add(owner)
        many = rng.sample(self.participants, self.n_many_orgs)
        self.many_orgs = many
        for org_id in self.org_kind:
            if org_id == self.centre_id:
                picks = rng.sample(self.member_communities, round(0.4 * n_member_communities))
            elif org_id in many:
                k = min(n_member_communities, rng.randint(100, 150))
                picks = rng.sample(self.member_communities, k)
            else:
                k = min(n_member_communities, rng.choice([1, 1, 2, 2, 3, 3, 4, 5]))
                picks = set(rng.choices(self.member_communities, popularity, k=k))
            for cid in picks:
                members[cid].add(org_id)
        self.members = {cid: sorted(orgs) for cid, orgs in members.items()}
        created = self.loader.dt(self.start)
        org_rows = []
        for cid, orgs in self.members.items():
            for org_id in orgs:
                org_rows.append((cid, org_id, None, "active", False, created))
        # Personal memberships: 3 % of people in 1–3 further communities; one manager each.
        user_rows, seen = [], set()
        for cid, owner in self.community_owner.items():
            manager = self.org_users[owner][0]
            seen.add((cid, manager))
            user_rows.append((cid, None, manager, "active", True, created))
        for _ in range(round(0.03 * self.n_users)):
            uid = rng.randint(1, self.n_users)
            for cid in set(rng.choices(self.member_communities, popularity,
                                       k=rng.randint(1, 3))):
                if (cid, uid) not in seen:
                    seen.add((cid, uid))
                    state = "requested" if rng.random() < 0.1 else "active"
                    user_rows.append((cid, None, uid, state, False, created))
        self.loader.write(Membership, ["community_id", "organisation_id", "user_id", "state",
                                       "is_manager", "created_at"], org_rows + user_rows)

    # topics, audiences, comments, acknowledgements ---------------------------------------

    def topic_communities(self) -> Iterator[int]:
        """Broadcast 7 %, consultation 1 %, manual 0.05 %, notification 3 %, the rest by
        popularity over the open and closed communities."""
        rng = self.rng
        member = self.member_communities
        popularity = zipf_weights(len(member))
        channels = list(self.channel_of.values())
        buckets = [(0.04, lambda: 1), (0.03, lambda: 2), (0.01, lambda: 3), (0.0005, lambda: 4),
                   (0.03, lambda: rng.choice(channels))]
        picks = rng.choices(member, popularity, k=self.n_topics)
        for i in range(self.n_topics):
            r = rng.random()
            for share, pick in buckets:
                if r < share:
                    yield pick()
                    break
                r -= share
            else:
                yield picks[i]

    def readers_org(self, cid: int) -> int:
        """An organisation whose people read community `cid`."""
        kind = self.community_kind[cid]
        if kind in ("open", "closed"):
            orgs = self.members[cid]
            return orgs[self.rng.randrange(len(orgs))]
        if kind == "notification":
            return self.notified[cid] if self.rng.random() < 0.7 else self.centre_id
        return self.rng.randint(1, self.n_orgs)

    def topics(self) -> None:
        from renkei.communities.models import (
            Acknowledgement,
            Comment,
            DailySequence,
            Topic,
            TopicAudienceOrganisation,
            TopicAudienceUser,
        )

        rng, loader = self.rng, self.loader
        self.notified = {cid: org for org, cid in self.channel_of.items()}
        bodies = [Template(b) for b in BODIES]
        comments = [Template(c) for c in COMMENTS]
        day_counter: dict[int, int] = defaultdict(int)
        span = self.end - self.start
        communities = self.topic_communities()
        topic_cols = ["id", "public_id", "community_id", "title", "tag", "kind", "reader_level",
                      "tlp", "audience_mode", "body", "body_html", "author_id",
                      "author_organisation_id", "created_at", "updated_at", "is_pinned",
                      "view_count", "ack_count", "comment_count", "attachment_count",
                      "shared_from_id"]
        comment_id = 0
        for chunk_start in range(0, self.n_topics, 50_000):
            topic_rows, audience_orgs, audience_users, comment_rows, ack_rows = [], [], [], [], []
            for i in range(chunk_start, min(self.n_topics, chunk_start + 50_000)):
                topic_id = i + 1
                cid = next(communities)
                kind = self.community_kind[cid]
                created = self.start + (i + rng.random()) * span / self.n_topics
                day = int((created + TOKYO.total_seconds()) // DAY)
                day_counter[day] += 1
                public_id = (f"{date.fromordinal(day + 719163):%Y%m%d}-"
                             f"{day_counter[day]:06d}")
                if kind in ("broadcast", "manual", "notification"):
                    author_org = self.centre_id
                else:
                    author_org = self.readers_org(cid)
                author = self.random_user(author_org)
                chosen = kind != "manual" and rng.random() < 0.05
                audience: list[int] = []
                if chosen:
                    audience = list({self.readers_org(cid) for _ in range(rng.randint(1, 3))})
                    audience_orgs += [(topic_id, org) for org in audience]
                    if rng.random() < 0.2:
                        audience_users.append((topic_id, self.random_user(audience[0])))
                    tlp = rng.choice(["green", "amber", "amber", "amber+strict", "red"])
                else:
                    tlp = rng.choice(["clear", "green", "green", "green", "amber"])
                place = rng.choice(PLACES)
                number = rng.randint(1000, 99999)
                body, html = bodies[topic_id % len(bodies)].fill(place, number)
                title = TITLES[rng.randrange(len(TITLES))].format(p=place, n=number)
                tag = rng.choice(["", "", "", "", "important", "caution"])

                # Readers who acknowledge and comment: from the audience when chosen.
                acks = ({self.reader(cid, audience) for _ in range(rng.randint(1, 8))}
                        if rng.random() < 0.3 else ())
                for uid in acks:
                    ack_rows.append((topic_id, uid, loader.dt(created + rng.random() * DAY)))
                updated = created
                n_comments = rng.randint(1, 3) if rng.random() < 0.2 else 0
                for k in range(n_comments):
                    comment_id += 1
                    when = created + (k + rng.random()) * 3 * 3600
                    updated = max(updated, when)
                    c_author = author if k == 1 else self.reader(cid, audience)
                    c_org = self.user_org(c_author)
                    c_body, c_html = comments[comment_id % len(comments)].fill(place, k + 1)
                    comment_rows.append((comment_id, topic_id, c_author, c_org, c_body, c_html,
                                         loader.dt(when)))
                pinned = rng.random() < (0.002 if kind == "broadcast" else 0.0005)
                topic_rows.append((
                    topic_id, public_id, cid, title, tag, KINDS[rng.randrange(8)],
                    "pro" if cid == 2 else "general", tlp, "chosen" if chosen else "members",
                    body, html, author, author_org, loader.dt(created), loader.dt(updated),
                    pinned, rng.randint(0, 300), len(acks), n_comments, 0, None,
                ))
            loader.write(Topic, topic_cols, topic_rows)
            loader.write(TopicAudienceOrganisation, ["topic_id", "organisation_id"],
                         audience_orgs)
            loader.write(TopicAudienceUser, ["topic_id", "user_id"], audience_users)
            loader.write(Comment, ["id", "topic_id", "author_id", "author_organisation_id",
                                   "body", "body_html", "created_at"], comment_rows)
            loader.write(Acknowledgement, ["topic_id", "user_id", "created_at"], ack_rows)
            print(f"  topics: {min(self.n_topics, chunk_start + 50_000):,} / {self.n_topics:,}",
                  flush=True)
        loader.write(DailySequence, ["day", "last"],
                     ((date.fromordinal(day + 719163), last) for day, last in day_counter.items()))

    def reader(self, cid: int, audience: list[int]) -> int:
        org = self.rng.choice(audience) if audience else self.readers_org(cid)
        return self.random_user(org)

    def user_org(self, user_id: int) -> int:
        if not hasattr(self, "_user_org"):
            self._user_org = {}
            for org_id, users in self.org_users.items():
                for uid in users:
                    self._user_org[uid] = org_id
        return self._user_org[user_id]


def finish(connection, timings: dict) -> None:
    """Sequences past the explicit ids, then fresh statistics for the planner."""
    from django.apps import apps
    from django.core.management.color import no_style

    t0 = time.monotonic()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            models = [m for m in apps.get_models()]
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("ANALYZE")
            cursor.execute("VACUUM")
    timings["vacuum_analyze_s"] = round(time.monotonic() - t0, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=sorted(DEFAULT_URLS), default="postgresql")
    parser.add_argument("--database-url", help="default: a dedicated bench database per --db")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    database_url = args.database_url or DEFAULT_URLS[args.db]
    vendor = vendor_of(database_url)

    timings: dict[str, float] = {}
    t_all = time.monotonic()
    recreate_database(database_url)
    migrate(database_url)
    timings["migrate_s"] = round(time.monotonic() - t_all, 1)

    os.environ.update(bench_env(database_url))
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from django.db import connection

    connection.ensure_connection()
    if vendor == "sqlite":
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF",
                       "cache_size=-1000000", "temp_store=MEMORY"):
            connection.connection.execute(f"PRAGMA {pragma}")
    else:
        connection.connection.execute("SET synchronous_commit = off")
        connection.connection.commit()
    loader = Loader(connection)
    world = World(args.scale, args.seed, loader)
    for phase in ("organisations", "users", "communities", "topics"):
        t0 = time.monotonic()
        print(f"{phase}…", flush=True)
        getattr(world, phase)()
        timings[f"{phase}_s"] = round(time.monotonic() - t0, 1)
    finish(connection, timings)
    timings["total_s"] = round(time.monotonic() - t_all, 1)

    summary = {
        "database": vendor,
        "database_url": database_url,
        "scale": args.scale,
        "seed": args.seed,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "timings": timings,
        "rows": dict(loader.rows_written),
        "password": PASSWORD,
    }
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    summary_path(database_url).write_text(json.dumps(summary, ensure_ascii=False,
                                                             indent=1))
    print(json.dumps({"timings": timings, "rows": summary["rows"]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

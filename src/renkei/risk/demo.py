"""This part's share of the demo world: three risk assessment rounds for ten providers.

第1回 (light) and 第2回 (standard) are over and their feedback reports released, with the
centre's comments; 第3回 is open: seven providers have submitted, two have a draft and one has not
started, so a demo visitor can sign in as a provider's admin and try the row editor or the XLSX
template. Each round the providers name more of what their sector's model case expects and
answer the ten PDCA items a little higher.

Rows, submissions and feedback go through the services; round states and dates in the past are
set directly, so no invitation or reminder mail goes out for rounds long over.
"""

import random
import zoneinfo
from datetime import datetime, time, timedelta

from django.utils import timezone

from renkei.risk import services
from renkei.risk.feedback import item_keys
from renkei.risk.models import FeedbackReport, Round, Submission

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
ASSESSOR = "centre.inoue"
PROVIDERS = ("sakura", "hinode", "wakaba", "kamome", "kagayaki", "harukaze", "water",
             "umikaze", "hospital", "arena")
# (number, title, approach, days before today it opened, days it ran)
ROUNDS = (
    (1, "東京23区の重要サービス事業者等", "light", 540, 60),
    (2, "東京圏（1都3県）の重要サービス事業者等", "standard", 300, 60),
    (3, "全競技会場周辺の重要サービス事業者等", "standard", 10, 30),
)
# In the open round: who has submitted, who has a draft, who has not started.
DRAFTING = ("harukaze", "hospital")
NOT_STARTED = ("arena",)
COMMENTS = {
    "general": "前回から洗い出しの範囲が広がっています。制御系と外部委託先についても引き続き"
               "ご検討ください。",
    "source": "通信監視・ログ分析の体制について、委託先 SOC との役割分担も含めてご記載ください。",
    "resource": "モデルケースで想定している資源です。自組織に当てはまらない場合はその旨を"
                "ご記入ください。",
}
TREATMENTS = ("reduce", "reduce", "reduce", "accept", "transfer")
MEASURES = ("ファイアウォールで遮断", "委託先による24時間監視", "年1回の訓練",
            "冗長構成（2系統）", "アクセス権限の定期見直し", "")


def load(builder) -> None:
    assessor = builder.users.get(ASSESSOR)
    providers = [key for key in PROVIDERS if key in builder.orgs and key in builder.admins]
    if assessor is None or not providers:
        return
    rng = random.Random("renkei risk demo")
    for number, title, approach, opened_days_ago, length in ROUNDS:
        opens = builder.today - timedelta(days=opened_days_ago)
        the_round = services.create_round(
            actor=assessor, number=number, title=title, opens_on=opens,
            closes_on=opens + timedelta(days=length), approach=approach,
            organisation_ids=[builder.orgs[key].pk for key in providers])
        _set_state(the_round, Round.State.OPEN, _at(builder, opens))
        last = number == len(ROUNDS)
        for index, key in enumerate(providers):
            if last and key in NOT_STARTED:
                continue
            admin = builder.admins[key]
            draft = services.start_draft(actor=admin, round=the_round)
            rows = _rows(the_round, builder.orgs[key], number, rng)
            services.replace_rows(actor=admin, submission=draft, rows=rows,
                                  pdca_answers=_pdca(number, index), source="demo")
            if last and key in DRAFTING:
                continue
            services.submit(actor=admin, submission=draft)
            Submission.objects.filter(pk=draft.pk).update(
                submitted_at=_at(builder, opens + timedelta(days=5 + index * 3)))
        if last:
            continue
        closes = the_round.closes_on
        _set_state(the_round, Round.State.CLOSED, _at(builder, closes))
        services.generate_feedback(actor=assessor, round=the_round)
        for report in the_round.feedback_reports.all():
            _comment(assessor, report)
        released = _at(builder, closes + timedelta(days=30))
        the_round.feedback_reports.update(released_at=released, released_by=assessor)
        _set_state(the_round, Round.State.FEEDBACK_RELEASED, released)


def _at(builder, day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)), TOKYO)


def _set_state(the_round: Round, state: str, when: datetime) -> None:
    field = {Round.State.OPEN: "opened_at", Round.State.CLOSED: "closed_at",
             Round.State.FEEDBACK_RELEASED: "released_at"}[state]
    Round.objects.filter(pk=the_round.pk).update(state=state, **{field: when})
    the_round.refresh_from_db()


def _rows(the_round: Round, organisation, number: int, rng: random.Random) -> list[dict]:
    """A growing share of what the model case expects: about 35 %, 60 %, 80 % by round."""
    catalogue = services.catalogue_of(the_round.catalogue)
    expected = catalogue.expected(organisation.sector, the_round.approach)
    resources = [r for r, _why in catalogue.model_resources(organisation.sector)]
    share = {1: 0.35, 2: 0.6, 3: 0.8}[number]
    rows = []
    for source, threats in sorted(expected["sources"].items()):
        for threat in sorted(set(threats)):
            if rng.random() > share:
                continue
            resource = rng.choice(resources) if resources else {"ja": "業務システム"}
            likelihood, impact = rng.randint(1, 4), rng.randint(2, 5)
            rows.append({
                "asset": resource.get("ja", ""), "outcome": rng.choice(("O1", "O2", "O3", "O4")),
                "threat": threat, "risk_source": source, "phases": [], "cia": [],
                "existing_measures": rng.choice(MEASURES),
                "likelihood": likelihood, "impact": impact,
                "risk_level": "high" if likelihood * impact >= 15 else
                "medium" if likelihood * impact >= 6 else "low",
                "treatment": rng.choice(TREATMENTS)})
    return rows[:200]


def _pdca(number: int, index: int) -> dict:
    """Improving round by round; planning comes first, audit and correction last."""
    base = {1: 1, 2: 2, 3: 3}[number]
    answers = {}
    for item in range(1, 11):
        lag = 0 if item <= 3 else 1 if item <= 8 else 2
        answers[str(item)] = max(0, min(4, base - lag + (1 if (index + item) % 4 == 0 else 0)))
    return answers


def _comment(assessor, report: FeedbackReport) -> None:
    keys = item_keys(report.content)
    services.comment_on(actor=assessor, report=report, item="general",
                        body=COMMENTS["general"])
    for prefix, body in (("source:", COMMENTS["source"]), ("resource:", COMMENTS["resource"])):
        key = next((k for k in sorted(keys) if k.startswith(prefix)), None)
        if key is not None:
            services.comment_on(actor=assessor, report=report, item=key, body=body)

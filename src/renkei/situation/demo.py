"""This part's share of the demo world: past AM/PM reports, one daily bulletin and one sanitised
summary, made from the incidents demo's cases (loaded before this) through the services."""

from datetime import datetime, timedelta
from itertools import pairwise

from renkei.incidents.models import Case
from renkei.situation import services
from renkei.situation.jobs import TOKYO
from renkei.situation.models import OrganisationAlias

COMMANDER, CONTROLLER, ANALYST = "centre.takahashi", "centre.nakamura", "centre.yoshida"
# Readings and romanised names the sanitiser cannot derive from the names themselves.
ALIASES = {
    "sakura": ("サクラツウシン", "Sakura Tsushin"),
    "hinode": ("ヒノデホウソウ", "Hinode TV"),
    "kamome": ("カモメテツドウ", "Kamome Railway"),
    "wakaba": ("ワカバギンコウ", "Wakaba Bank"),
    "organiser": ("ソシキイインカイ",),
    "arena": ("ベイサイドアリーナ", "Bayside Arena"),
}
SLOTS = ("09:00", "15:00")


def load(builder) -> None:
    for key, aliases in ALIASES.items():
        organisation = builder.orgs.get(key)
        for alias in aliases if organisation is not None else ():
            OrganisationAlias.objects.get_or_create(organisation=organisation, alias=alias)
    _reports(builder)
    _summary(builder)
    _bulletin(builder)


def _slot_ends(builder, days: int) -> list[datetime]:
    ends = []
    for back in range(days, -1, -1):
        day = builder.today - timedelta(days=back)
        for slot in SLOTS:
            hour, minute = map(int, slot.split(":"))
            moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)
            if moment < builder.now:
                ends.append(moment)
    return ends


def _reports(builder) -> None:
    """The schedule's reports since the first escalated case (as the worker would have made
    them; at most 20 days back)."""
    first = Case.objects.filter(escalated=True).order_by("opened_at").values_list(
        "opened_at", flat=True).first()
    back = (builder.now - first).days + 1 if first is not None else 2
    ends = _slot_ends(builder, min(back, 20))
    for start, end in pairwise(ends):
        services.generate_escalation_report(actor=None, start=start, end=end, now=end)


def _shop_case() -> Case | None:
    return (Case.objects.filter(escalated=True, title__startswith="公式オンラインショップ")
            .select_related("report", "classification").order_by("opened_at").first()
            or Case.objects.filter(escalated=True).order_by("opened_at").first())


def _summary(builder) -> None:
    case = _shop_case()
    if case is None:
        return
    analyst, commander = builder.person(ANALYST), builder.person(COMMANDER)
    when = builder.now - timedelta(days=2, hours=3)
    title, draft = services.draft_from_case(case)
    draft = draft.replace(
        "（対処調整センターが追記）",
        "大規模イベントの直後は、公式サイトや通販サイトへのアクセスが急増します。"
        "CDN の設定、待合室（バーチャルキュー）の用意、障害時の告知文の準備を事前に"
        "確認してください。")
    summary = services.create_summary(actor=analyst, case=case, title=title, draft=draft,
                                      now=when)
    # The analyst's correction: the sanitiser took out the shop's name; say what kind of
    # site it was instead, without naming it.
    site = "大会関連の通販サイト"
    summary = services.update_summary(
        actor=analyst, summary=summary, title=f"{site}の閲覧障害（アクセス集中）",
        sanitised=summary.sanitised.replace("［システム名］（［システム名］）", site)
        .replace("［システム名］", site),
        version=summary.version, now=when + timedelta(minutes=20))
    summary = services.review_summary(actor=commander, summary=summary, confirmed=True,
                                      now=when + timedelta(minutes=30))
    services.publish_summary(
        actor=commander, summary=summary, now=when + timedelta(minutes=40),
        publication=services.Publication((builder.communities["pro"],), tlp="green",
                                         reader_level="pro"))


def _bulletin(builder) -> None:
    day = builder.today - timedelta(days=2)
    when = datetime(day.year, day.month, day.day, 18, 0, tzinfo=TOKYO)
    services.publish_bulletin(
        actor=builder.person(CONTROLLER), now=when,
        publication=services.Publication((builder.communities["general"],)))

"""This part's share of the demo world: a venue checklist and one cross-sectional evaluation.

The centre's risk assessor (井上) evaluates the stadium operator: a risk scenario from a phishing
mail to the building-control network, verification items checked by interview, document review
and site visit, the venue checklist, and findings at every stage of follow-up (one closed, one
with a fix reported, one in progress). Everything goes through the services, as a person would.
"""

from datetime import timedelta

from renkei.evaluations import services
from renkei.evaluations.models import EvaluationState
from renkei.evaluations.services import StepInput, TemplateItemInput

ASSESSOR = "centre.inoue"
VENUE = "stadium"

VENUE_CHECKLIST = [
    ("体制", "会場のセキュリティ責任者と連絡体制（夜間・休日を含む）が定められているか",
     "document"),
    ("体制", "インシデント発生時に対処調整センターへ連絡する手順があるか", "interview"),
    ("資産", "会場内の情報システム・制御システムの一覧（構成図を含む）が最新か", "document"),
    ("制御系", "中央監視（ビル管理）システムが業務系ネットワークから分離されているか",
     "site_visit"),
    ("制御系", "保守業者のリモート接続が必要時のみ許可され、記録されているか", "interview"),
    ("物理", "サーバ室・監視室の入退室が管理され、記録が保管されているか", "site_visit"),
    ("電源", "停電時に非常用電源で監視・放送設備が継続できるか", "site_visit"),
    ("運用", "大会期間中の変更凍結と緊急時の変更手順が決められているか", "document"),
    ("運用", "バックアップから制御システムの設定を復旧する訓練をしているか", "technical"),
]

SCENARIO_STEPS = [
    StepInput(1, "大会運営の案内を装ったメールを施設管理担当者へ送付", "大会3か月前（配送）",
              "攻撃者", "施設管理担当者のメール"),
    StepInput(2, "添付ファイルを開いた職員PCがマルウェアに感染", "同日（侵入・感染）",
              "マルウェア", "施設管理事務所の職員PC"),
    StepInput(3, "保守用の共有アカウントで中央監視サーバへ横展開", "数週間（遠隔操作）",
              "攻撃者", "中央監視（ビル管理）ネットワーク"),
    StepInput(4, "競技中に照明・空調の制御を停止させる", "競技当日（目的の実行）",
              "攻撃者", "照明・空調制御システム"),
]


def load(builder) -> None:
    assessor = builder.users[ASSESSOR]
    venue = builder.orgs[VENUE]
    admin = builder.admins[VENUE]
    member = next(u for key, u in builder.users.items()
                  if key.startswith(f"{VENUE}.") and u.pk != admin.pk)
    today = builder.today

    template = services.save_template(
        actor=assessor, name="競技会場チェックリスト",
        description="既存施設を利用する競技会場の書面・訪問検証に用いる確認項目。",
        items=[TemplateItemInput(text, category, method)
               for category, text, method in VENUE_CHECKLIST])

    evaluation = services.create_evaluation(
        actor=assessor, organisation=venue, title="臨海スタジアム 横断的リスク評価（第2回）",
        scope="競技運営を支える中央監視（ビル管理）システム、照明・空調制御、場内放送。"
              "リスクシナリオに基づく訪問検証と、競技会場チェックリストによる書面・訪問検証。",
        period_start=today - timedelta(days=75), period_end=today - timedelta(days=20),
        evaluators=[assessor])
    services.advance_evaluation(actor=assessor, evaluation=evaluation,
                                to_state=EvaluationState.IN_PROGRESS)
    scenario = services.save_scenario(
        actor=assessor, evaluation=evaluation, title="標的型メールから照明・空調の停止",
        description="施設管理の業務系から制御系へ到達し、競技中に照明・空調を止めるまでの流れ。",
        steps=list(SCENARIO_STEPS))
    steps = {s.order: s for s in scenario.steps.all()}
    checks = [
        (1, "不審メールの報告手順と訓練の実施状況", "interview", "ok",
         "施設管理部 課長、情報システム担当", "年2回の訓練を実施。報告窓口も周知されている。"),
        (2, "職員PCのEDR導入とアラートの監視体制", "document", "ok",
         "情報システム担当", "EDR導入済み。夜間は委託先が監視。"),
        (3, "中央監視ネットワークと業務系ネットワークの分離", "site_visit", "gap",
         "施設管理部 課長、保守業者", "保守用端末が両方のネットワークに接続されていた。"),
        (3, "保守用共有アカウントの管理（パスワード変更、利用記録）", "interview", "gap",
         "保守業者", "共有アカウントのパスワードが導入時から変更されていない。"),
        (4, "照明・空調を手動運転に切り替える手順と訓練", "site_visit", "gap",
         "施設管理部 課長", "手順書はあるが、手動切替の訓練記録がない。"),
    ]
    items = []
    for n, (order, text, method, result, who, notes) in enumerate(checks):
        item = services.add_item(actor=assessor, evaluation=evaluation, scenario=scenario,
                                 step=steps[order], text=text, method=method)
        services.record_activity(actor=assessor, item=item,
                                 conducted_on=today - timedelta(days=60 - 3 * n), method=method,
                                 result=result, participants=who, notes=notes)
        items.append(item)

    checklist = services.add_checklist(actor=assessor, evaluation=evaluation, template=template)
    for n, item in enumerate(checklist.items.all()):
        result = "gap" if item.category == "運用" and "訓練" in item.text else "ok"
        services.record_activity(actor=assessor, item=item,
                                 conducted_on=today - timedelta(days=40 - n), method=item.method,
                                 result=result, participants="施設管理部")

    network = services.create_finding(
        actor=assessor, evaluation=evaluation, item=items[2], severity="critical",
        title="保守用端末が業務系と中央監視ネットワークの両方に接続されている",
        description="保守用端末1台が業務系LANと中央監視ネットワークに同時に接続されており、"
                    "業務系で感染した場合に制御系へ到達できる。",
        proposal="保守用端末を中央監視ネットワーク専用とし、業務系との間はファイアウォールで"
                 "必要な通信のみに限定する。", due_date=today + timedelta(days=1), owner=admin)
    account = services.create_finding(
        actor=assessor, evaluation=evaluation, item=items[3], severity="high",
        title="保守用共有アカウントのパスワードが変更されていない",
        description="導入時から同じパスワードが複数の保守要員で共有されている。",
        proposal="要員ごとのアカウントに切り替え、利用の都度記録を残す。少なくとも大会前に"
                 "パスワードを変更する。", due_date=today + timedelta(days=5), owner=member)
    manual = services.create_finding(
        actor=assessor, evaluation=evaluation, item=items[4], severity="medium",
        title="照明・空調の手動切替の訓練記録がない",
        description="制御システム停止時の手動運転手順は整備されているが、訓練の記録がない。",
        proposal="大会前に手動切替の訓練を行い、所要時間と課題を記録する。",
        due_date=today + timedelta(days=30), owner=member)
    services.update_evaluation(
        actor=assessor, evaluation=evaluation, title=evaluation.title, scope=evaluation.scope,
        period_start=evaluation.period_start, period_end=evaluation.period_end,
        evaluators=[assessor],
        summary="リスクシナリオ1件と競技会場チェックリストにより検証した。業務系から制御系への"
                "経路に重大な課題があり、大会前の改善を求める。")
    services.advance_evaluation(actor=assessor, evaluation=evaluation,
                                to_state=EvaluationState.REPORTED)

    # The follow-up so far: one verified and closed, one reported fixed, one in progress.
    services.report_progress(actor=admin, finding=network, fixed=True,
                             note="保守用端末を業務系LANから切り離し、FWのルールを設定しました。")
    services.close_finding(actor=assessor, finding=network,
                           note="現地で構成と通信ルールを確認しました。クローズします。")
    services.report_progress(actor=member, finding=account, fixed=True,
                             note="要員ごとのアカウントを発行し、共有アカウントを無効化しました。")
    services.report_progress(actor=member, finding=manual,
                             note="訓練を来月の定期点検に合わせて実施する予定です。")
    services.advance_evaluation(actor=assessor, evaluation=evaluation,
                                to_state=EvaluationState.FOLLOW_UP)

# ruff: noqa: E501  (Japanese prose, as in demo/data.py)
"""This part's share of the demo world: the Games' 19 reports as cases in several states.

The seed counts 19 reports: 17 incident reports and 2 consultations; 10 outages (7 cloud
services, 3 systems), 3 DoS attacks and 1 defacement; 7 escalated in the AM/PM reports (4 site
access failures — the official online shop after the opening ceremony — and 3 system outages).
The six reports the core demo already posted in the consultation window get their structured
fields and cases here; the other thirteen are filed through the same service a reporter uses.
The four shop reports are counted as cloud service outages, as the seed counts them; their
escalation reason (a site access failure, public on SNS) is in their effect and exposure fields.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from renkei.incidents import services
from renkei.incidents.models import Classification

COMMANDER, CONTROLLER = "centre.takahashi", "centre.nakamura"
RESPONDER, RESPONDER2 = "centre.ito", "centre.kobayashi"
LIAISON, DUTY, ANALYST = "centre.yamamoto", "centre.kato", "centre.yoshida"


@dataclass(frozen=True)
class Demo:
    key: str  # the existing window topic's title start, or "" for a new report
    reporter: str
    day: int
    time: str
    kind: str
    klass: str
    title: str = ""
    what: str = ""
    effect: str = "none"
    exposure: str = "no"
    affected: str = ""
    state_now: str = ""
    help_wanted: str = ""
    tlp: str = "amber"
    named: tuple[str, ...] = ()
    severity: str = "medium"
    assignee: str = RESPONDER
    # (minutes after the report, author key, body)
    replies: tuple[tuple[int, str, str], ...] = ()
    # (minutes after the report, actor key, state)
    states: tuple[tuple[int, str, str], ...] = ()
    notes: tuple[tuple[int, str, str], ...] = ()
    extra: dict = field(default_factory=dict)


SHOP = "公式オンラインショップの閲覧障害（アクセス過多）"
SHOP_WHAT = ("{when}、公式オンラインショップが閲覧しづらい状態になりました。記念グッズの販売開始に伴う"
             "アクセス過多が原因で、クラウド型ECサービスの自動拡張が追いつきませんでした。"
             "攻撃の痕跡はありません。SNSでは「サイバー攻撃でショップが止まった」とする投稿が"
             "拡散しています。")

REPORTS: tuple[Demo, ...] = (
    # --- the six already in the window ---------------------------------------------------------
    Demo("【相談】被害報告を装う", "hinode.inoue", -16, "14:20", "consultation", "",
         severity="low", assignee=RESPONDER,
         what="被害報告書を装う添付ファイル付きメールを報道部の職員1名が受信。未開封で削除済み。",
         states=((45, RESPONDER, "triaged"), (210, CONTROLLER, "closed"))),
    Demo("【報告】運行情報サイトへのDoS", "kamome.hashimoto", -15, "07:55", "report", "dos",
         severity="high", assignee=RESPONDER2, named=("mit", "organiser", "police"),
         affected="運行情報サイト（CDN配下）", effect="none",
         what="7:10〜7:40、多数のIPアドレスからのHTTPSリクエスト集中で運行情報サイトの表示が遅延。",
         states=((30, CONTROLLER, "in_progress"), (180, CONTROLLER, "monitoring"),
                 (60 * 26, COMMANDER, "closed")),
         notes=((35, RESPONDER2, "観測情報の攻撃元と一致。#OpBoycottOlympics の攻撃予告対象の1組織。"
                                 "関係機関に攻撃元一覧を共有する了承を得た。"),)),
    Demo("【報告】クラウド型配送管理サービスの障害", "tsubasa.murata", -13, "09:40", "report",
         "cloud_outage", severity="medium", assignee=DUTY, named=("mit", "organiser"),
         affected="クラウド型配送管理サービス（会場向け資材配送の受付）",
         what="前夜21:50〜23:55、クラウド型配送管理サービスが停止。事業者側の設備障害。",
         states=((30, DUTY, "triaged"), (240, CONTROLLER, "closed")),
         notes=((32, DUTY, "同じクラウドサービスを使う2組織からも同時刻の報告あり。"
                           "日報では組織名を伏せて共有する。"),)),
    Demo("【報告】会場案内サイトの改ざん", "stadium.saito", -11, "10:05", "report", "defacement",
         severity="high", assignee=CONTROLLER, named=("organiser", "police", "cert"),
         affected="会場案内サイト（CMS）",
         what="8:20ごろ会場案内サイトのトップページが抗議メッセージに書き換えられていた。",
         help_wanted="原因調査と復旧の支援",
         states=((20, CONTROLLER, "in_progress"), (60 * 6, CONTROLLER, "monitoring"),
                 (60 * 48, COMMANDER, "closed")),
         notes=((25, CONTROLLER, "被害組織担当者の携帯：緊急連絡先に登録済み。CMS委託先とは別に"
                                 "連絡を取る必要あり。"),
                (60 * 7, CONTROLLER, "原因は委託先管理者のパスワード使い回し。匿名化して教訓を"
                                     "共有する了承を得た（情報提供（プロ）で共有予定）。")),
         extra={"support": ("cert", "site_outage", "会場案内サイト改ざんの原因調査",
                            "会場案内サイト（CMS）のトップページ改ざん事案です。海外IPアドレスから"
                            "CMS管理者アカウントへのログインを確認しています。Webサーバ、CMS、"
                            "ファイアウォールのログは保全済みです。侵入経路の調査と再発防止策の"
                            "助言をお願いします。", True)}),
    Demo("【相談】当行を装うフィッシングサイト", "wakaba", -9, "15:30", "consultation",
         "phishing", severity="medium", assignee=RESPONDER2,
         what="当行のインターネットバンキングを装うフィッシングサイトをお客様からの連絡で把握。",
         states=((50, RESPONDER2, "in_progress"), (60 * 25, CONTROLLER, "closed")),
         extra={"takedown": ("wakaba-bank-login.example", "phishing", "海外ホスティング事業者")}),
    Demo("【支援要請】貸出端末のマルウェア感染", "arena.yasuda", -6, "11:15", "report", "malware",
         severity="high", assignee=RESPONDER, named=("cert", "organiser"),
         affected="報道関係者向け貸出端末1台（来場者向けネットワーク）",
         what="貸出端末1台でウイルス対策ソフトがEmotetと推定されるマルウェアを検知。",
         help_wanted="感染経路と他端末への影響の調査",
         states=((30, CONTROLLER, "in_progress"),),
         notes=((40, RESPONDER, "端末は通電のまま保管。業務ネットワークとの分離は被害組織が確認済み。"),),
         extra={"support": ("cert", "malware_analysis", "貸出端末の検体解析と現地調査",
                            "報道関係者向け貸出端末1台でEmotetと推定される検知がありました。"
                            "端末は通電状態で保管しています。検体の解析と、現地での感染経路調査を"
                            "お願いします。", False)}),
    # --- the thirteen filed here ---------------------------------------------------------------
    Demo("", "organiser.endo", -14, "21:30", "report", "cloud_outage", title=SHOP,
         what=SHOP_WHAT.format(when="開会式直後の20:10ごろから"), effect="possible",
         exposure="sns", severity="high", assignee=LIAISON, named=("police",),
         affected="公式オンラインショップ（クラウド型ECサービス）",
         state_now="ECサービス事業者に増強を依頼。待合せページを表示。",
         replies=((15, LIAISON, "把握しました。セキュリティ調整センターへのPM報告に含めます。"
                                "攻撃ではないことをSNS向けに発信する予定はありますか。"),
                  (40, "organiser.endo", "22:00に公式アカウントで「アクセス集中による」と発信します。")),
         states=((15, LIAISON, "in_progress"), (60 * 14, CONTROLLER, "closed"))),
    Demo("", "organiser.endo", -13, "12:05", "report", "cloud_outage", title=SHOP + "（2日目）",
         what=SHOP_WHAT.format(when="本日11:40ごろから"), effect="possible", exposure="sns",
         severity="medium", assignee=LIAISON, affected="公式オンラインショップ",
         replies=((20, LIAISON, "承知しました。前日の事案と関連付けて管理します。"),),
         states=((20, LIAISON, "in_progress"), (60 * 6, CONTROLLER, "closed"))),
    Demo("", "organiser.endo", -12, "10:20", "report", "cloud_outage", title=SHOP + "（3日目）",
         what=SHOP_WHAT.format(when="本日10:00の再販開始直後から"), effect="possible",
         exposure="media", severity="medium", assignee=LIAISON,
         affected="公式オンラインショップ",
         replies=((25, LIAISON, "報道でも取り上げられています。AM報告に含めました。"),),
         states=((25, LIAISON, "in_progress"), (60 * 5, CONTROLLER, "closed"))),
    Demo("", "organiser.aoki", -1, "21:45", "report", "cloud_outage",
         title="公式オンラインショップの閲覧障害（閉会式記念グッズ）",
         what=SHOP_WHAT.format(when="閉会式記念グッズの予約開始直後の21:00から"),
         effect="possible", exposure="may_become", severity="medium", assignee=LIAISON,
         affected="公式オンラインショップ",
         states=((30, LIAISON, "triaged"),)),
    Demo("", "komadori", -10, "08:30", "report", "cloud_outage",
         title="高速バス予約サイトの停止（クラウド基盤の障害）",
         what="6:50〜8:10、高速バス予約サイトが利用するクラウド基盤で障害が発生し、予約の受付が"
              "停止しました。事業者の発表では設備障害です。",
         severity="low", assignee=DUTY, named=("mit",), affected="高速バス予約サイト",
         replies=((20, DUTY, "ご報告ありがとうございます。同じクラウド基盤の障害として記録します。"),),
         states=((20, DUTY, "triaged"), (60 * 3, CONTROLLER, "closed"))),
    Demo("", "tabiji", -7, "14:10", "report", "cloud_outage",
         title="ツアー予約システムの一時停止（クラウドサービス障害）",
         what="13:20〜13:55、ツアー予約システムが利用するクラウドのデータベースサービスが応答せず、"
              "予約と照会ができませんでした。",
         severity="low", assignee=DUTY, affected="ツアー予約システム",
         replies=((30, DUTY, "承知しました。復旧後の状況を引き続きお知らせください。"),),
         states=((30, DUTY, "triaged"), (60 * 4, CONTROLLER, "closed"))),
    Demo("", "immigration", -12, "16:40", "report", "system_outage",
         title="自動化ゲートの一時停止",
         what="15:55〜16:30、空港の自動化ゲートが認証サーバの不具合で停止し、有人審査に切り替えました。"
              "攻撃の痕跡は確認されていません。",
         effect="possible", exposure="media", severity="high", assignee=RESPONDER,
         named=("organiser",), affected="自動化ゲート、認証サーバ",
         state_now="有人審査に切替済み。16:30に復旧。原因調査中。",
         replies=((10, RESPONDER, "ご報告ありがとうございます。大会関係者の入国への影響を"
                                  "教えてください。"),
                  (35, "immigration", "選手団の到着便と重なり、待ち時間が約40分延びました。"),
                  (50, LIAISON, "大会組織委員会と共有しました。PM報告に含めます。")),
         states=((10, RESPONDER, "in_progress"), (60 * 20, CONTROLLER, "closed"))),
    Demo("", "umikaze", -5, "07:20", "report", "system_outage",
         title="フライト情報表示システムの障害",
         what="6:40から、ターミナルのフライト情報表示システムが更新されない状態です。"
              "保守事業者によるとデータ連携サーバの障害です。",
         effect="possible", exposure="sns", severity="high", assignee=RESPONDER2,
         named=("mit", "organiser"), affected="フライト情報表示システム、データ連携サーバ",
         state_now="館内放送と係員による案内で対応中。",
         replies=((15, RESPONDER2, "把握しました。攻撃の可能性について、ログに不審なアクセスが"
                                   "ないか確認をお願いします。"),
                  (90, "umikaze", "不審なアクセスはありません。9:10に復旧しました。")),
         states=((15, RESPONDER2, "in_progress"), (120, RESPONDER2, "monitoring"))),
    Demo("", "aozora", -2, "18:05", "report", "system_outage",
         title="チェックインシステムの遅延",
         what="17:30ごろから、国内線のチェックインシステムの応答が遅くなっています。"
              "原因を調査中です。",
         effect="possible", exposure="may_become", severity="high", assignee=RESPONDER,
         named=("mit",), affected="国内線チェックインシステム",
         replies=((12, RESPONDER, "ご報告ありがとうございます。大会関係者の移動への影響が"
                                  "分かれば教えてください。"),),
         states=((12, RESPONDER, "in_progress"),)),
    Demo("", "aquatics", -13, "17:20", "report", "dos",
         title="会場案内サイトへのDoS攻撃",
         what="16:50〜17:00、会場案内サイトへのリクエストが急増し閲覧できなくなりました。"
              "静的ページに切り替えて回復しました。",
         severity="medium", assignee=RESPONDER2, named=("organiser",),
         affected="会場案内サイト",
         replies=((15, RESPONDER2, "攻撃予告との関連を確認します。攻撃元の一覧をいただけますか。"),),
         states=((15, RESPONDER2, "in_progress"), (60 * 8, CONTROLLER, "closed"))),
    Demo("", "minato", -8, "09:15", "report", "dos",
         title="市公式サイトへのDDoS攻撃（影響なし）",
         what="8:30〜8:50、市公式サイトへの大量の通信を上流の通信事業者が遮断しました。"
              "閲覧への影響はありませんでした。",
         severity="low", assignee=DUTY, affected="市公式サイト",
         replies=((25, DUTY, "ご報告ありがとうございます。観測情報として記録します。"),),
         states=((25, DUTY, "triaged"), (60 * 2, CONTROLLER, "closed"))),
    Demo("", "sports", -4, "10:40", "report", "phishing",
         title="協会を装うボランティア向けフィッシングメール",
         what="協会を装い「ボランティア登録の再確認」を求めるメールが、登録ボランティアに届いています。"
              "リンク先は協会とは無関係のサイトです。",
         severity="medium", assignee=RESPONDER2, named=("police",),
         affected="ボランティア登録者への連絡（メール）",
         help_wanted="偽サイトの閉鎖の進め方",
         replies=((20, RESPONDER2, "偽サイトのテイクダウンをこちらで依頼します。登録者への注意喚起"
                                   "をお願いします。"),),
         states=((20, RESPONDER2, "in_progress"),),
         extra={"takedown": ("volunteer-hikari-check.example", "phishing", "国内レンタルサーバ事業者")}),
    Demo("", "hoshizora", -3, "13:30", "report", "unauthorised_access",
         title="会員サイトへの大量のログイン試行",
         what="11:00ごろから、会員サイトに対し、他サービスから流出したと思われるIDとパスワードの"
              "組合せによるログイン試行が続いています。不正ログインの成功は確認されていません。",
         severity="medium", assignee=RESPONDER, named=("police",), affected="会員サイト",
         state_now="該当IPアドレスを遮断。ログイン試行回数の制限を強化。"),
)


def _centre_contacts(builder) -> None:
    admin = builder.users.get(COMMANDER)
    services.save_contact(actor=admin, organisation=builder.orgs["centre"],
                          name="対処調整センター 当直", role="24時間受付",
                          phone="03-5555-0100", email="duty@csircc.example", hours="24時間",
                          order=1)
    services.save_contact(actor=admin, organisation=builder.orgs["centre"],
                          name="中村 美咲", role="インシデントコントローラー",
                          phone="03-5555-0101", email="nakamura@csircc.example",
                          hours="平日 9:00〜18:00（大会期間中は24時間）", order=2)
    for key in ("organiser", "sakura", "kamome", "stadium", "arena", "wakaba", "police", "cert",
                "nwo", "mdc", "mit"):
        admin = builder.admins.get(key)
        if admin is None:
            continue
        org = builder.orgs[key]
        domain = admin.email.split("@")[1]
        services.save_contact(actor=admin, organisation=org, name=f"{org.name} CSIRT",
                              role="セキュリティ担当窓口", phone=f"03-5555-{org.pk % 10000:04d}",
                              email=f"csirt@{domain}", hours="24時間", order=1)
        services.save_contact(actor=admin, organisation=org, name=admin.name, role="管理者",
                              phone=f"090-0000-{org.pk % 10000:04d}", email=admin.email,
                              hours="平日 9:00〜18:00", order=2)


def load(builder) -> None:
    person = builder.person
    classes = {c.code: c for c in Classification.objects.all()}
    window_topics = {topic.title: topic for topic, _spec in builder.posted
                     if topic.community_id == builder.communities["window"].id}
    cases = {}
    for spec in REPORTS:
        start = builder.at(spec.day, spec.time)
        reporter = person(spec.reporter)
        data = services.ReportInput(
            kind=spec.kind, title=spec.title or spec.key, what_happened=spec.what,
            started_at=start - timedelta(minutes=40), noticed_at=start - timedelta(minutes=20),
            affected_systems=spec.affected, event_effect=spec.effect,
            public_exposure=spec.exposure, current_state=spec.state_now,
            help_wanted=spec.help_wanted, contacts=f"{reporter.name}（{reporter.email}）",
            tlp=spec.tlp)
        if spec.key:
            topic = next(t for title, t in window_topics.items() if title.startswith(spec.key))
            data.title = topic.title
            report = services.attach_report_topic(topic=topic, reporter=reporter, data=data,
                                                  now=builder.now)
        else:
            report = services.file_report(actor=reporter, data=data, now=start,
                                          named=[builder.orgs[k].pk for k in spec.named])
            for minutes, author, body in spec.replies:
                community_services_comment(person(author), report.topic, body,
                                           min(start + timedelta(minutes=minutes),
                                               builder.now - timedelta(minutes=2)))
        case = report.case
        case = services.update_case(
            actor=person(CONTROLLER), case=case, version=case.version,
            now=min(start + timedelta(minutes=8), builder.now - timedelta(minutes=3)),
            severity=spec.severity, classification=classes.get(spec.klass),
            assignee=person(spec.assignee))
        for minutes, actor, state in spec.states:
            moment = min(start + timedelta(minutes=minutes), builder.now - timedelta(minutes=1))
            case = services.update_case(actor=person(actor), case=case, version=case.version,
                                        now=moment, state=state)
        for minutes, actor, body in spec.notes:
            services.add_note(actor=person(actor), case=case, body=body,
                              now=min(start + timedelta(minutes=minutes), builder.now))
        _extras(builder, spec, case, start)
        cases[spec.title or spec.key] = case
    shops = [c for title, c in cases.items() if title.startswith("公式オンラインショップ")]
    for later in shops[1:]:
        services.link_cases(actor=person(LIAISON), case=later, other=shops[0])
    _duty_log(builder)
    _centre_contacts(builder)


def community_services_comment(author, topic, body, when) -> None:
    from renkei.communities import services as community_services

    community_services.add_comment(actor=author, topic=topic, body=body, now=when)


def _extras(builder, spec: Demo, case, start) -> None:
    person = builder.person
    if "support" in spec.extra:
        agency, kind, title, body, victim = spec.extra["support"]
        moment = min(start + timedelta(minutes=35), builder.now - timedelta(minutes=2))
        request = services.request_support(
            actor=person(CONTROLLER), case=case, agencies_named=[builder.orgs[agency]],
            kind=kind, title=title, body=body, victim_may_read=victim, now=moment)[0]
        answer = builder.admins[agency]
        community_services_comment(
            answer, request.topic,
            "承知しました。担当者を割り当て、本日中に連絡します。ログの受け渡し方法は別途"
            "お知らせします。", min(moment + timedelta(minutes=50), builder.now))
    if "takedown" in spec.extra:
        target, target_kind, provider = spec.extra["takedown"]
        moment = min(start + timedelta(minutes=60), builder.now - timedelta(minutes=2))
        task = services.add_task(
            actor=person(RESPONDER2), case=case, kind="takedown",
            title=f"{target} のテイクダウン依頼", target=target, target_kind=target_kind,
            hosting_provider=provider, owner=person(RESPONDER2), now=moment,
            due_at=moment + timedelta(hours=24))
        services.update_task(actor=person(RESPONDER2), task=task, requested=True,
                             now=min(moment + timedelta(minutes=30), builder.now))
        if case.is_finished:
            services.update_task(actor=person(RESPONDER2), task=task, done=True,
                                 now=min(moment + timedelta(hours=20), builder.now))


def _duty_log(builder) -> None:
    person = builder.person
    entries = (
        (-14, "08:00", DUTY, "handover", "夜間の受付なし。開会式当日のため、9時からIR担当2名体制に"
                                         "増員。DDoS攻撃予告（#OpBoycottOlympics）の監視を継続。"),
        (-14, "21:40", DUTY, "entry", "公式オンラインショップの閲覧障害の報告を受付。リエゾン経由で"
                                      "大会組織委員会に確認中。PM報告の追加対象。"),
        (-13, "08:00", DUTY, "handover", "ショップの閲覧障害は夜間に回復。本日も販売再開時に再発の"
                                         "おそれあり。クラウド配送管理の障害は3組織で同一原因。"),
        (-11, "10:10", CONTROLLER, "entry", "会場案内サイト改ざんの報告。サイバー事案調整機構に"
                                            "支援を依頼。治安機関にも共有済み。"),
        (-5, "08:00", DUTY, "handover", "フライト情報表示システムの障害は復旧済み、経過観察中。"
                                        "貸出端末のマルウェア件は機構が現地調査予定。"),
        (-1, "08:00", DUTY, "handover", "閉会式に向けて体制確認。未完了案件：チェックイン遅延、"
                                        "フィッシングメール（テイクダウン依頼中）、会員サイトへの"
                                        "ログイン試行。"),
    )
    for day, hhmm, author, kind, body in entries:
        services.add_duty_log(actor=person(author), body=body, kind=kind,
                              at=builder.at(day, hhmm))

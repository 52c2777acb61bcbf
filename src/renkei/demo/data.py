"""The demo world's content: organisations, people, communities and bulletins.

Modelled on the seed (the Games' coordination centre and its JISP), with fictitious companies,
people and products. The seed's real threats (the iOS, Windows and Exchange holes, Emotet, Mirai,
#OpBoycottOlympics) keep their names; vulnerability numbers are `CVE-DEMO-…`, addresses come from
the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) and domains end in
`.example`, so nothing here points at a real system.

Dates are days relative to the day the demo is loaded (negative: in the past). The event runs
through "today": competition starts on day START, the opening ceremony is on day OPENING, the
closing ceremony is still ahead. Bodies may use {start}, {opening}, {closing}, {para}, {day} and
{next}: they become Japanese dates like 7月23日（木） when the world is loaded.
"""

from dataclasses import dataclass

DEMO_PASSWORD = "sakura-renkei-2026"
# The TOTP secrets of centre staff are derived from this, so `renkei demo` can print them again.
DEMO_SEED = "renkei demo world, first edition"

START, OPENING, CLOSING, PARA = -16, -14, 3, 19
EVENT_DAYS = {"start": START, "opening": OPENING, "closing": CLOSING, "para": PARA}


@dataclass(frozen=True)
class Person:
    local: str  # e-mail local part, also the key within the organisation
    name: str
    admin: bool = False
    roles: tuple[str, ...] = ()
    platform_admin: bool = False
    language: str = "ja"


@dataclass(frozen=True)
class Org:
    key: str
    name: str
    kind: str
    domain: str
    people: tuple[Person, ...]
    sector: str = ""
    ministry: str = ""  # key of the supervising ministry


def _org(key, name, kind, domain, people, sector="", ministry="") -> Org:
    """People as (local, name) pairs; the first one is the organisation's admin."""
    persons = tuple(
        p if isinstance(p, Person) else Person(p[0], p[1], admin=(i == 0))
        for i, p in enumerate(people)
    )
    return Org(key, name, kind, domain, persons, sector, ministry)


CENTRE = "centre"
CENTRE_NAME = "対処調整センター"

ORGANISATIONS: tuple[Org, ...] = (
    Org(CENTRE, CENTRE_NAME, "centre", "csircc.example", (
        Person("takahashi", "高橋 誠", admin=True, roles=("commander",)),
        Person("nakamura", "中村 美咲", roles=("incident_controller",)),
        Person("ito", "伊藤 大輔", roles=("responder",)),
        Person("kobayashi", "小林 彩", roles=("responder", "analyst")),
        Person("yamamoto", "山本 健一", roles=("liaison",)),
        Person("kato", "加藤 由美", roles=("duty_officer",)),
        Person("yoshida", "吉田 翔太", roles=("analyst",)),
        Person("sasaki", "佐々木 直子", admin=True, platform_admin=True),
        Person("inoue", "井上 恵", roles=("risk_assessor",)),
    )),
    # Ministries, agencies, police and a CTI vendor.
    _org("mdc", "デジタル通信省", "ministry", "mdc.example",
         [("morita", "森田 修"), ("ono", "大野 香織")]),
    _org("mit", "交通インフラ省", "ministry", "mit.example",
         [("nishimura", "西村 浩"), ("matsui", "松井 さやか")]),
    _org("nwo", "国立ネットワーク観測研究所", "agency", "nwo.example",
         [("miura", "三浦 拓也"), ("ishii", "石井 亜美")]),
    _org("cert", "サイバー事案調整機構", "agency", "cirt.example",
         [("okada", "岡田 聡"), ("fujita", "藤田 恵")]),
    _org("police", "首都警察 サイバー対策課", "law_enforcement", "police.example",
         [("ikeda", "池田 剛"), ("maeda", "前田 大樹")]),
    Org("mitsubachi", "ミツバチ・スレットインテリジェンス株式会社", "vendor", "mitsubachi.example", (
        Person("hasegawa", "長谷川 亮", admin=True),
        Person("moore", "Daniel Moore", language="en"),
        Person("kondo", "近藤 舞"),
    )),
    # The organiser, the host city and a sports body.
    _org("organiser", "大会組織委員会", "participant", "organiser.example",
         [("murakami", "村上 直樹"), ("endo", "遠藤 千尋"), ("aoki", "青木 隆")]),
    _org("city", "開催都市 デジタル推進局", "participant", "city.example",
         [("sakamoto", "坂本 洋平"), ("fukuda", "福田 由紀")], sector="local_government"),
    _org("minato", "みなと市 情報政策課", "participant", "city-minato.example",
         [("ota", "太田 学"), ("hara", "原 舞子")], sector="local_government"),
    _org("sports", "ひかりスポーツ協会", "participant", "hikari-sports.example",
         [("takeuchi", "竹内 悠"), ("noguchi", "野口 早紀")]),
    # Critical service providers, one or two per sector.
    _org("sakura", "さくら通信株式会社", "participant", "sakura-tsushin.example",
         [("suzuki", "鈴木 一郎"), ("tanaka", "田中 美穂"), ("watanabe", "渡辺 悠斗")],
         sector="telecom", ministry="mdc"),
    _org("midori", "みどりネットワークス株式会社", "participant", "midori-net.example",
         [("yamada", "山田 健"), ("sato", "佐藤 里奈")], sector="telecom", ministry="mdc"),
    _org("hinode", "ひので放送株式会社", "participant", "hinode-tv.example",
         [("matsumoto", "松本 剛志"), ("inoue", "井上 彩花")],
         sector="broadcasting", ministry="mdc"),
    _org("wakaba", "わかば銀行", "participant", "wakaba-bank.example",
         [("kimura", "木村 拓"), ("hayashi", "林 まゆみ")], sector="finance"),
    _org("hoshizora", "ほしぞらカード株式会社", "participant", "hoshizora-card.example",
         [("shimizu", "清水 雄一"), ("yamazaki", "山崎 奈々")], sector="credit"),
    _org("aozora", "あおぞら航空株式会社", "participant", "aozora-air.example",
         [("mori", "森 俊介"), ("ikegami", "池上 玲奈")], sector="aviation", ministry="mit"),
    _org("kamome", "かもめ鉄道株式会社", "participant", "kamome-rail.example",
         [("abe", "阿部 達也"), ("hashimoto", "橋本 美咲")], sector="railway", ministry="mit"),
    _org("kagayaki", "かがやき電力株式会社", "participant", "kagayaki-denryoku.example",
         [("ishikawa", "石川 大輔"), ("yamashita", "山下 智子")], sector="electricity"),
    _org("harukaze", "はるかぜガス株式会社", "participant", "harukaze-gas.example",
         [("nakajima", "中島 亮太"), ("ogawa", "小川 瞳")], sector="gas"),
    _org("water", "みなと市水道局", "participant", "water-minato.example",
         [("goto", "後藤 勇気"), ("miyazaki", "宮崎 千夏")], sector="water"),
    _org("sewer", "みなと市下水道局", "participant", "sewer-minato.example",
         [("okamoto", "岡本 和也"), ("matsuo", "松尾 陽菜")], sector="sewerage"),
    _org("tsubasa", "つばさ物流株式会社", "participant", "tsubasa-logi.example",
         [("osada", "長田 圭"), ("murata", "村田 加奈")], sector="logistics", ministry="mit"),
    _org("umikaze", "うみかぜ国際空港株式会社", "participant", "umikaze-airport.example",
         [("fujii", "藤井 正人"), ("ueda", "上田 美和")], sector="airports", ministry="mit"),
    _org("kansei", "湾岸交通管制センター", "participant", "wangan-kansei.example",
         [("nomura", "野村 誠"), ("sugiura", "杉浦 彩乃")],
         sector="traffic_control", ministry="mit"),
    _org("fire", "みなと市消防局 指令センター", "participant", "fire-minato.example",
         [("matsuda", "松田 翼"), ("kikuchi", "菊池 拓海")], sector="emergency_calls"),
    _org("soramoyou", "そらもよう気象サービス株式会社", "participant", "soramoyou.example",
         [("nakagawa", "中川 遥"), ("sugawara", "菅原 陸")], sector="weather"),
    _org("immigration", "入国審査システム運用センター", "participant", "immigration-ops.example",
         [("sugiyama", "杉山 哲也"), ("imai", "今井 麻衣")], sector="immigration"),
    _org("keyaki", "けやき高速道路株式会社", "participant", "keyaki-expressway.example",
         [("hirano", "平野 浩二"), ("kawano", "河野 沙織")], sector="expressways", ministry="mit"),
    _org("bayheat", "ベイエリア熱供給株式会社", "participant", "bayarea-heat.example",
         [("kubo", "久保 貴之"), ("arai", "新井 優子")], sector="heat_supply"),
    _org("komadori", "こまどりバス株式会社", "participant", "komadori-bus.example",
         [("chiba", "千葉 昭"), ("sakai", "酒井 菜摘")], sector="buses", ministry="mit"),
    _org("mamori", "まもり警備保障株式会社", "participant", "mamori-security.example",
         [("iwasaki", "岩崎 隼"), ("miyamoto", "宮本 愛")], sector="security_guards"),
    _org("tabiji", "たびじ旅行株式会社", "participant", "tabiji-travel.example",
         [("uchida", "内田 紀子"), ("kaneko", "金子 翔")], sector="travel"),
    _org("hospital", "みなと総合病院", "participant", "minato-hospital.example",
         [("onodera", "小野寺 雅人"), ("kudo", "工藤 優花")], sector="hospitals"),
    _org("arena", "ベイサイド・アリーナ運営株式会社", "participant", "bayside-arena.example",
         [("hori", "堀 健太郎"), ("yasuda", "安田 結衣")], sector="venue"),
    _org("stadium", "臨海スタジアム管理株式会社", "participant", "rinkai-stadium.example",
         [("saito", "斎藤 光"), ("kikuchi", "菊地 美穂")], sector="venue"),
    _org("aquatics", "みなと国際水泳場", "participant", "minato-aquatics.example",
         [("otsuka", "大塚 俊"), ("nagai", "永井 彩")], sector="venue"),
)

# --- communities ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunitySpec:
    key: str
    name: str
    kind: str
    owner: str  # organisation key; its admin creates the community
    description: str = ""
    members: tuple[str, ...] = ()  # organisation keys that join as whole organisations
    people: tuple[str, ...] = ()  # person keys that join in person


PARTICIPANTS = tuple(o.key for o in ORGANISATIONS if o.kind == "participant")
TOKYO_AREA = ("organiser", "minato", "sports", "water", "sewer", "fire", "bayheat", "hospital",
              "arena", "stadium", "aquatics", "kamome", "komadori", "keyaki", "police")

COMMUNITIES: tuple[CommunitySpec, ...] = (
    CommunitySpec("general", "情報提供（一般）", "broadcast", CENTRE,
                  "システム運用やセキュリティ対策を直接担当していない方向けの情報提供です。"),
    CommunitySpec("pro", "情報提供（プロ）", "broadcast", CENTRE,
                  "システム運用担当者や委託先事業者等、セキュリティ対策に携わる方向けの"
                  "情報提供です。"),
    CommunitySpec("window", "そうだんの窓口", "consultation", CENTRE,
                  "インシデント（予兆・ヒヤリハット・疑いを含む）の報告・相談・支援要請の窓口です。"
                  "共有先に指定した組織にも同時に届きます。"),
    CommunitySpec("manual", "マニュアル・FAQ", "manual", CENTRE,
                  "利用手順、運用要領、よくある質問。"),
    # A two-way board between the centre and every organisation: open, all organisations join.
    CommunitySpec("desk", "対処調整センター連絡窓口", "open", CENTRE,
                  "対処調整センターと参加組織との事務連絡（登録内容の変更、体制の確認、"
                  "利用上の質問など）。インシデントの報告は「そうだんの窓口」へ。",
                  members=tuple(o.key for o in ORGANISATIONS if o.key != CENTRE)),
    CommunitySpec("isac", "通信ISAC", "closed", "sakura",
                  "電気通信事業者による情報共有・分析の場（参加は承認制）。",
                  members=("midori", "hinode", CENTRE), people=("mdc.morita",)),
    CommunitySpec("transport", "交通・運輸セプター", "closed", "kamome",
                  "鉄道・航空・空港・バス・高速道路・物流の事業者による連絡会。",
                  members=("aozora", "umikaze", "komadori", "keyaki", "tsubasa", "kansei")),
    CommunitySpec("area", "東京エリア連絡会", "open", "city",
                  "開催都市と会場周辺の自治体・事業者・会場管理者の地域連絡会。",
                  members=TOKYO_AREA),
    CommunitySpec("vendorfeed", "情報提供（ミツバチ・スレットインテリジェンス）", "open",
                  "mitsubachi",
                  "CTI事業者（MOU締結）からの脅威情報・観測情報の提供。",
                  members=(CENTRE, "organiser", "sakura", "midori", "hinode", "wakaba",
                           "hoshizora", "kagayaki", "kamome", "aozora", "arena", "stadium",
                           "nwo", "cert")),
)

# --- bulletins --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    author: str  # person key, or an organisation key for its admin
    after_minutes: int
    body: str


@dataclass(frozen=True)
class Bulletin:
    day: int
    time: str  # HH:MM in Asia/Tokyo
    community: str  # community key, or "notice:<org key>" for an organisation's channel
    author: str
    kind: str
    title: str
    body: str
    tag: str = ""
    level: str = "general"
    tlp: str = "green"
    orgs: tuple[str, ...] = ()  # chosen audience
    people: tuple[str, ...] = ()  # chosen audience
    pinned: bool = False
    replies: tuple[Reply, ...] = ()
    reach: float = 0.3  # share of the readers who press いいね！
    pin_later: bool = False  # pinned afterwards with set_pinned, as a commander does
    files: tuple[tuple[str, str], ...] = ()  # attachments: (file name, text content)


def B(day, time, community, author, kind, title, body, **fields) -> Bulletin:
    fields["replies"] = tuple(Reply(*r) for r in fields.get("replies", ()))
    for name in ("orgs", "people"):
        fields[name] = tuple(fields.get(name, ()))
    return Bulletin(day, time, community, author, kind, title, body.strip(), **fields)


def markdown_table(header: tuple[str, ...], rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def csv_text(header: tuple[str, ...], rows) -> str:
    """The same rows as a CSV attachment (the demo's values never hold commas or quotes)."""
    return "\n".join(",".join(row) for row in (header, *rows)) + "\n"


BLOCKLIST_HEADER = ("種別", "値", "関連")
BLOCKLIST = (
    ("IPアドレス", "192.0.2.45", "被害報告を装うワイパー"),
    ("IPアドレス", "192.0.2.66", "Emotet 指令サーバ"),
    ("IPアドレス", "198.51.100.23", "大会を騙るプログラム"),
    ("IPアドレス", "203.0.113.90", "大会を騙るプログラム（Windows版）"),
    ("ドメイン", "report-games.example", "被害報告を装うワイパー"),
    ("ドメイン", "games-guide-app.example", "大会を騙るプログラム"),
    ("ドメイン", "official-games-ticket.example", "フィッシング"),
)
FAKE_STREAMS_HEADER = ("ドメイン", "状態")
FAKE_STREAMS = tuple(
    (domain, state) for domain, state in (
        ("opening-live-free.example", "稼働中"), ("games-stream-hd.example", "稼働中"),
        ("watch-ceremony-live.example", "稼働中"), ("ceremony-tv-free.example", "稼働中"),
        ("live-games-opening.example", "稼働中"), ("free-sports-stream.example", "稼働中"),
        ("hd-opening-watch.example", "準備中"), ("games-live-now.example", "稼働中"),
        ("stream-ceremony-jp.example", "閉鎖済み"), ("opening-hd-live.example", "稼働中"),
        ("watch-games-free.example", "準備中"), ("ceremony-live-jp.example", "稼働中"),
    )
)


# Centre staff, by what they do.
COMMANDER, CONTROLLER = "centre.takahashi", "centre.nakamura"
RESPONDER, RESPONDER2 = "centre.ito", "centre.kobayashi"
LIAISON, DUTY, ANALYST, SYSADMIN = (
    "centre.yamamoto", "centre.kato", "centre.yoshida", "centre.sasaki")
RISK_ASSESSOR = "centre.inoue"


# --- templated families -------------------------------------------------------------------------

@dataclass(frozen=True)
class Vulnerability:
    day: int
    time: str
    tag: str
    product: str
    vendor: str
    impact: str
    cve: str
    cvss: str
    affected: str
    remedy: str
    exploited: bool = False
    note: str = ""
    replies: tuple = ()


def vulnerability(v: Vulnerability) -> Bulletin:
    exploited = (
        "ベンダーは本脆弱性を悪用した攻撃を確認しているとしており、**ゼロデイ脆弱性**として"
        "早急な対応が必要です。" if v.exploited else
        "現時点で悪用は確認されていませんが、攻撃コードの公開が予想されるため早めの対応を推奨します。"
    )
    note = f"\n{v.note}\n" if v.note else ""
    body = f"""
### 概要
{v.vendor}は、{v.product}において{v.impact}が可能となる脆弱性（{v.cve}、CVSS v3.1 基本値 {v.cvss}）を公表しました。{exploited}

### 影響を受ける製品
- {v.affected}

### 対策
{v.remedy}
{note}
### 参考
- {v.vendor} セキュリティアドバイザリ（{v.cve}）
"""
    return B(v.day, v.time, "pro", ANALYST, "vulnerability",
             f"{v.product}における{v.impact}の脆弱性（{v.cve}）", body, tag=v.tag, level="pro",
             tlp="clear", reach=0.45 if v.tag == "important" else 0.3, replies=v.replies)


VULNERABILITIES = (
    Vulnerability(-52, "17:40", "important", "FalconGate SSL-VPN", "ハヤブサネットワークス社",
                  "認証回避", "CVE-DEMO-2026-0101", "9.8",
                  "FalconGate OS 7.0.0 から 7.0.11、6.4.0 から 6.4.14",
                  "修正版（7.0.12 / 6.4.15）へ更新してください。更新までの間は管理画面を"
                  "インターネットから到達できないようにし、VPNの認証ログで不審な成功ログインが"
                  "ないか確認してください。", exploited=True,
                  note="過去に窃取された認証情報が攻撃者フォーラムで流通した事例があるため、"
                       "更新後もVPNアカウントのパスワード変更と多要素認証の有効化をお願いします。",
                  replies=(("midori", 95, "当社でも該当機器を確認し、本日中に7.0.12へ更新します。"),
                           (ANALYST, 140, ("ありがとうございます。更新前の認証ログの確認も併せて"
                                          "お願いします。")))),
    Vulnerability(-44, "11:05", "caution", "MomijiCMS", "MomijiCMS開発プロジェクト",
                  "SQLインジェクション", "CVE-DEMO-2026-0117", "8.1",
                  "MomijiCMS 4.2 系（4.2.9 以前）および 4.1 系全版",
                  "4.2.10 へ更新してください。4.1 系はサポート終了のため、移行を計画してください。"),
    Vulnerability(-40, "09:30", "important", "Microsoft Exchange Server", "Microsoft社",
                  "リモートでのコード実行", "CVE-DEMO-2026-0122", "9.1",
                  "オンプレミスの Exchange Server（更新プログラムの適用状況による）",
                  "最新の累積更新プログラムとセキュリティ更新プログラムを適用してください。"
                  "外部公開しているOWA/ECPのアクセスログで、不審なPOSTリクエストやWebシェルと"
                  "思われるファイル（.aspx）の作成がないか確認してください。", exploited=True,
                  note="観測では、パッチ未適用のExchangeサーバが大会関係組織にも残っています。"
                       "該当組織には観測情報等通知用コミュニティで個別にお知らせしています。"),
    Vulnerability(-38, "15:20", "caution", "ネットワークカメラ・録画装置「ミエル」シリーズ",
                  "コガネ電機社", "OSコマンドインジェクション", "CVE-DEMO-2026-0125", "8.8",
                  "ミエル NVR-400 / NVR-800（ファームウェア 2.3.1 以前）",
                  "ファームウェア 2.3.2 へ更新し、管理画面の初期パスワードを変更してください。",
                  note="Mirai 亜種が本脆弱性を悪用して感染を広げていることが観測されています。"
                       "会場の監視カメラ等で利用していないか確認をお願いします。"),
    Vulnerability(-33, "18:10", "important", "ファイル転送製品「SecureBox MFT」",
                  "アオバソフト社", "認証不要での任意ファイル読み出し", "CVE-DEMO-2026-0131",
                  "9.3", "SecureBox MFT 11.x（11.4.2 以前）",
                  "修正版 11.4.3 を適用してください。適用できない場合はインターネットからの"
                  "アクセスを遮断してください。", exploited=True,
                  note="ランサムウェア攻撃グループによる大規模な悪用（データ窃取と暴露予告）が"
                       "海外で報告されています。"),
    Vulnerability(-27, "10:00", "", "Windows（月例セキュリティ更新）", "Microsoft社",
                  "特権昇格やリモートでのコード実行", "CVE-DEMO-2026-0140 ほか", "最大 8.8",
                  "サポート中の Windows 11、Windows Server 2019 以降",
                  "今月のセキュリティ更新プログラムを計画的に適用してください。うち2件は悪用が"
                  "確認されているため、優先して適用をお願いします。"),
    Vulnerability(-22, "14:45", "caution", "グループウェア「ツツジ」", "ツツジソフト社",
                  "クロスサイトスクリプティング", "CVE-DEMO-2026-0152", "6.1",
                  "ツツジ グループウェア 8.0 から 8.6", "8.7 へ更新してください。"),
    Vulnerability(-16, "16:30", "important", "Windows OS", "Microsoft社",
                  "一般ユーザー権限からの特権昇格", "CVE-DEMO-2026-0160", "7.8",
                  "Windows 11、Windows Server 2019 以降",
                  "修正プログラムは未公開です（{day}時点）。ベンダーが示す回避策（システム"
                  "ファイルへのアクセス権の見直しとボリュームシャドウコピーの削除）を実施し、"
                  "端末の不審なプロセス起動を監視してください。修正プログラムが公開され次第"
                  "お知らせします。", exploited=True,
                  replies=((ANALYST, 60 * 24 * 6, ("【更新】修正プログラムが公開されました。"
                                                  "速やかな適用をお願いします。")),)),
    Vulnerability(-13, "08:15", "important", "iOS、iPadOS", "Apple社",
                  "カーネル権限での任意のコード実行", "CVE-DEMO-2026-0163", "8.8",
                  "最新版より前の iOS・iPadOS（iPhone、iPad）",
                  "最新のiOS・iPadOSへ更新してください。業務用端末をMDMで管理している場合は、"
                  "更新の強制配信を検討してください。", exploited=True,
                  note="一般の職員向けには「情報提供（一般）」に平易な説明を掲載しています。"),
    Vulnerability(-12, "13:00", "caution", "決済モジュール「PayLine」", "ペイライン社",
                  "決済画面の改ざん（カード情報の窃取）", "CVE-DEMO-2026-0166", "7.5",
                  "PayLine for EC 3.x（3.8.1 以前）",
                  "3.8.2 へ更新し、決済画面のスクリプトが改ざんされていないか確認してください。",
                  note="チケット・旅行商品の販売サイトが狙われるおそれがあります。"),
    Vulnerability(-9, "11:40", "caution", "無線LANアクセスポイント「AirWave-X」",
                  "ソラネット社", "管理画面の認証回避", "CVE-DEMO-2026-0171", "8.1",
                  "AirWave-X AP-200 / AP-300（ファームウェア 5.1 以前）",
                  "ファームウェア 5.2 へ更新し、管理画面を来場者向けネットワークから到達できない"
                  "ようにしてください。"),
    Vulnerability(-6, "17:05", "important", "仮想化基盤「Kasumi Hypervisor」", "カスミシステムズ社",
                  "管理サービス経由のリモートでのコード実行", "CVE-DEMO-2026-0178", "9.8",
                  "Kasumi Hypervisor 7.x / 8.x", "修正版を適用し、管理サービス（既定ポート 427/tcp）"
                  "を管理用ネットワーク以外から遮断してください。", exploited=True,
                  note="仮想化基盤ごと暗号化するランサムウェアの侵入経路として悪用されています。"),
    Vulnerability(-3, "10:20", "", "メール転送ソフトウェア「OpenMTA」", "OpenMTA開発プロジェクト",
                  "サービス妨害（DoS）", "CVE-DEMO-2026-0183", "5.3",
                  "OpenMTA 3.4 以前", "3.5 へ更新してください。"),
)


@dataclass(frozen=True)
class Notice:
    """An observation notice to one organisation, in its private channel."""

    day: int
    time: str
    org: str
    what: str  # the title after 【観測情報】
    observed: str  # what was seen
    detail: str  # a Markdown list or table
    request: str  # what the organisation should do
    tag: str = "caution"
    tlp: str = "amber"
    source: str = "情報セキュリティ関係機関の観測"
    reply: str = ""  # the organisation's answer
    files: tuple[tuple[str, str], ...] = ()


def notice(n: Notice) -> Bulletin:
    body = f"""
貴組織にご登録いただいている観測対象について、{n.source}により以下を確認しましたのでお知らせします。

### 観測内容
{n.observed}

{n.detail}

### お願い
{n.request}

対応状況や不明点は本トピックへのコメントでお知らせください。必要に応じて情報セキュリティ関係機関による支援を調整します。
"""
    replies = ((f"{n.org}", 150, n.reply),) if n.reply else ()
    return B(n.day, n.time, f"notice:{n.org}", RESPONDER if n.day % 2 else RESPONDER2,
             "observation", f"【観測情報】{n.what}", body, tag=n.tag, level="pro", tlp=n.tlp,
             replies=replies, reach=0.9, files=n.files)


NOTICES = (
    Notice(-47, "14:00", "sports", "公開Webサイトの脆弱性調査結果",
           "外部から攻撃を受けやすい公開Webサイトを対象とした調査で、以下の問題を確認しました。",
           "- CMS のバージョンが古く、既知の脆弱性（SQLインジェクション等）が残っている\n"
           "- 管理画面（/admin/）がインターネットから到達可能\n"
           "- TLS 1.0 が有効",
           "CMS とプラグインを最新版に更新し、管理画面へのアクセスを事務局のIPアドレスに"
           "限定してください。修正案の詳細が必要な場合はコメントでお知らせください。",
           source="公開Webサイトの簡易調査", tlp="amber+strict",
           reply="ご連絡ありがとうございます。委託先と調整し、来週中に更新します。"),
    Notice(-39, "10:30", "minato", "Microsoft Exchange Server の脆弱性が残る機器",
           "貴組織のIPアドレス帯で、修正プログラム未適用の Exchange Server と推定される機器を"
           "確認しました。",
           "| IPアドレス | 推定される製品 | 観測日時 |\n|---|---|---|\n"
           "| 203.0.113.25 | 更新プログラム未適用の Exchange Server | {day} 06:12 |",
           "最新の累積更新プログラムとセキュリティ更新プログラムを適用し、Webシェル等の痕跡が"
           "ないか確認してください。", tag="important",
           reply="該当サーバは旧メールシステムで、停止予定のものでした。本日ネットワークから"
                 "切り離しました。"),
    Notice(-31, "16:15", "tabiji", "一般公開されている観測対象Webサイトの脆弱性情報",
           "予約サイトで利用しているWebサーバソフトウェアに、既知の脆弱性が残っていることを"
           "確認しました。",
           "- 対象: https://www.tabiji-travel.example/\n- 検出: サーバ応答ヘッダーから推定した"
           "バージョンに、ディレクトリトラバーサルの脆弱性あり",
           "Webサーバソフトウェアを最新版に更新してください。", tlp="amber",
           reply="確認しました。保守ベンダーに更新を依頼済みです。"),
    Notice(-29, "09:45", "hinode", "貴組織IPアドレスからの不正と思われる通信",
           "貴組織のIPアドレスから、IoT機器を探索する通信（Telnet 23/tcp、2323/tcp）が"
           "送信されていることを観測しました。Mirai 亜種への感染が疑われます。",
           "| 送信元IPアドレス | 宛先ポート | 観測期間 |\n|---|---|---|\n"
           "| 198.51.100.77 | 23/tcp, 2323/tcp | 直近3日間 |",
           "該当IPアドレスに接続している機器（ネットワークカメラ、録画装置、ルーター等）を"
           "特定し、ファームウェア更新と初期パスワードの変更を行ってください。",
           reply="スタジオの監視用録画装置が該当していました。ネットワークから切り離し、"
                 "ファームウェアを更新しました。"),
    Notice(-22, "13:30", "arena", "RDP（リモートデスクトップ）ポートの公開",
           "貴組織のIPアドレスで、リモートデスクトップ（3389/tcp）がインターネットに公開されて"
           "いることを確認しました。",
           "- 203.0.113.140:3389（ログイン画面に到達可能）",
           "RDP をインターネットに直接公開しないでください。リモート保守が必要な場合は、"
           "多要素認証付きのVPN経由に切り替えてください。", tag="important",
           reply="設備保守業者のリモート作業用でした。本日ファイアウォールで遮断し、"
                 "VPN経由に変更します。"),
    Notice(-18, "11:20", "wakaba", "ダークウェブ上での認証情報（アカウント）漏えい",
           "ダークウェブ上のフォーラムで、貴組織ドメインのメールアドレスとパスワードの組が"
           "掲載されていることを確認しました。",
           "- 件数: 14件（うち職員用と思われるもの 9件）\n- 掲載日: 観測の2日前\n"
           "- 掲載元: 過去に流出した他サービスの情報をまとめたリストと推定",
           "該当アカウントのパスワード変更と、同じパスワードを業務システムで使い回していないかの"
           "確認をお願いします。該当アドレスの一覧は別途、ご担当者へ直接お渡しします。",
           tag="important", tlp="amber+strict", source="ダークウェブ調査",
           reply="一覧を受領しました。全件パスワードをリセットし、利用者に連絡しました。"),
    Notice(-16, "21:10", "sakura", "DDoS攻撃通信の観測",
           "競技初日の攻撃予告で名指しされた組織の一つとして、貴組織のWebサイトに対するDDoS攻撃"
           "通信を観測しました。",
           "- 対象: www.sakura-tsushin.example\n- 種別: HTTP GET フラッド、UDP リフレクション\n"
           "- 規模: 最大 約 8 Gbps（約 20 分間）",
           "現時点で閲覧障害は確認していませんが、DDoS緩和サービスの発動条件と連絡体制を"
           "確認してください。", tag="important",
           reply="緩和装置で吸収できており、サービス影響はありません。引き続き監視します。"),
    Notice(-15, "08:40", "kamome", "攻撃予告に関連したDDoS攻撃の観測",
           "昨日の攻撃予告で名指しされた組織への攻撃として、貴組織の運行情報サイトへのDDoS攻撃"
           "通信を観測しました。",
           "- 対象: info.kamome-rail.example\n- 種別: HTTPS リクエストの集中（多数のIPアドレス）\n"
           "- 時間帯: 7時台に約 30 分間",
           "運行情報の代替掲載手段（SNS公式アカウント等）を確認し、CDN事業者と対策を調整して"
           "ください。", tag="important",
           reply="7:10〜7:40に一時的な表示遅延がありました。「そうだんの窓口」でも報告しています。"),
    Notice(-15, "12:00", "stadium", "攻撃予告とDDoS攻撃の観測",
           "会場案内サイトを攻撃対象とする予告をダークウェブ上で確認し、その後、小規模なDDoS攻撃"
           "通信を観測しました。",
           "- 対象: www.rinkai-stadium.example\n- 規模: 最大 約 1.2 Gbps\n"
           "- 予告内容: 開会式当日に再度攻撃すると示唆",
           "開会式当日に向けて、会場案内の静的ページへの切替手順を確認してください。"),
    Notice(-14, "18:30", "organiser", "開会式の偽ライブ配信サイト（12件）",
           "開会式の「無料ライブ配信」をうたう偽サイトを12件確認しました。視聴のためと称して"
           "アカウント登録やクレジットカード情報の入力を求めるフィッシングサイトです。",
           markdown_table(FAKE_STREAMS_HEADER, FAKE_STREAMS[:3])
           + "\n\nほか9件は添付の一覧（fake-streams.csv）をご覧ください。",
           "公式の視聴方法の周知と、必要に応じてテイクダウンの依頼をご検討ください。"
           "テイクダウンの調整はセンターでも支援できます。", tag="important",
           source="ダークウェブ・不審ドメイン調査",
           reply="公式サイトとSNSで正規の視聴方法を改めて周知します。テイクダウン支援をお願いします。",
           files=(("fake-streams.csv", csv_text(FAKE_STREAMS_HEADER, FAKE_STREAMS)),)),
    Notice(-12, "10:10", "hospital", "管理画面の認証不備",
           "貴組織の予約システムの管理画面が、認証なしで一部の画面を閲覧できる状態になっている"
           "ことを確認しました。",
           "- 対象: https://reserve.minato-hospital.example/manage/\n"
           "- 状況: 予約一覧画面がログインなしで表示される",
           "直ちに管理画面へのアクセスを制限し、委託先に原因の調査を依頼してください。"
           "個人情報の閲覧履歴の確認もお願いします。", tag="important", tlp="amber+strict",
           reply="委託先に確認し、当日中にアクセス制限を行いました。アクセスログを調査中です。"),
    Notice(-10, "15:50", "organiser", "大会公式サイトに類似したドメインを悪用したフィッシングサイト",
           "大会公式サイトに類似したドメインで、チケットの払い戻しを装ってカード情報を入力させる"
           "フィッシングサイトを確認しました。",
           "- official-games-ticket.example（公式サイトのデザインを複製）\n"
           "- games-refund-center.example（払い戻し手続きを装う）",
           "公式サイトでの注意喚起と、ドメインのテイクダウン依頼をご検討ください。",
           tag="important", source="不審ドメイン調査"),
    Notice(-6, "09:20", "aquatics", "来場者向けネットワークに接続した端末からの不正通信",
           "会場の貸し出し用ネットワークに接続した端末から、既知の指令サーバ（C2）への通信を"
           "観測しました。",
           "- 送信元: 貸し出し用ネットワーク（NAT後 198.51.100.200）\n"
           "- 宛先: 192.0.2.66:443（Emotet の指令サーバとして既知）\n- 回数: 約 40 回",
           "貸し出し用ネットワークの DHCP ログ等から端末を特定し、ネットワークから隔離して"
           "ください。業務用ネットワークと分離されていることも再確認してください。",
           tag="important", reply="DHCPログから報道関係者向け貸出端末1台を特定し、回収しました。"),
    Notice(-3, "07:55", "keyaki", "Webサイト死活監視での応答遅延",
           "Webサイトの死活監視で、道路交通情報ページの応答遅延（10秒以上）を断続的に"
           "観測しています。攻撃によるものかは判断できていません。",
           "- 対象: https://traffic.keyaki-expressway.example/\n- 時間帯: 6時から7時台",
           "サーバの負荷状況とアクセスログをご確認ください。", tag="caution", tlp="green",
           source="Webサイトの生死監視",
           reply="朝の渋滞情報へのアクセス集中によるものでした。サーバを増強しました。"),
    Notice(-1, "19:00", "organiser", "閉会式の偽ライブ配信サイト（第1報）",
           "閉会式（{closing}）の視聴をうたう偽ライブ配信サイトの準備と思われるドメイン登録を"
           "確認しました。",
           "- closing-live-stream.example（登録済み、コンテンツ準備中）\n"
           "- watch-games-final.example（登録済み）",
           "開会式と同様に、公式の視聴方法の周知をお願いします。",
           source="不審ドメイン調査"),
)


@dataclass(frozen=True)
class DailyReport:
    day: int
    reports: int
    incidents: str
    observations: int
    threats: int
    highlight: str
    tomorrow: str


def daily_report(d: DailyReport) -> Bulletin:
    body = f"""
{{day}}の対処調整センターの活動状況をお知らせします。

| 項目 | 件数 |
|---|---|
| 参加組織からの報告・相談 | {d.reports}件 |
| 観測情報の個別通知 | {d.observations}件 |
| 脅威情報の提供 | {d.threats}件 |

### 主な事象
{d.incidents}

### トピック
{d.highlight}

### 明日の予定
{d.tomorrow}

大会運営に影響のある事象は確認されていません。引き続き、不審な事象は「そうだんの窓口」へご報告ください（予兆・ヒヤリハット・疑いを含みます）。
"""
    return B(d.day, "18:00", "general", DUTY, "incident", "対処調整センター日報（{day}）", body,
             tlp="green", reach=0.2)


DAILY_REPORTS = (
    DailyReport(START, 3, "- DoS攻撃と思われるアクセス集中 1件（サービス影響なし）\n"
                "- クラウドサービスの一時的な障害 1件", 4, 3,
                "大会関連の被害報告を装う不正プログラムを確認し、注意喚起を行いました。",
                "競技2日目。開会式に向けた監視強化を継続します。"),
    DailyReport(START + 1, 2, "- 運行情報サイトの表示遅延 1件（DDoS攻撃、復旧済み）", 6, 1,
                "特定組織に関する観測情報の個別通知が多くありました。",
                "開会式前日。各組織の当直体制の最終確認をお願いします。"),
    DailyReport(OPENING, 4, "- 公式オンラインショップの閲覧障害 1件（アクセス過多）\n"
                "- DoS攻撃 1件（会場案内サイト、短時間で復旧）\n- クラウドサービス障害 1件", 9, 2,
                "DDoS攻撃キャンペーン（#OpBoycottOlympics）に関する注意喚起を行いました。"
                "開会式関連の偽ライブ配信サイトを多数観測しています。",
                "開会式翌日。通常体制（日中2チーム、夜間当直）に戻ります。"),
    DailyReport(OPENING + 2, 1, "- 公式オンラインショップの閲覧障害 1件（継続中、アクセス過多）",
                3, 1, "iOS・iPadOS のゼロデイ脆弱性について情報提供しました。",
                "競技日程どおり。特記事項なし。"),
    DailyReport(OPENING + 3, 2, "- Webサイト改ざん 1件（会場案内サイト、復旧済み）\n"
                "- システム障害 1件", 2, 2,
                "Webサイト改ざん事案の概要と技術的な原因を、組織名を伏せて共有しました。",
                "週末のため、センターは当直体制となります。"),
    DailyReport(-8, 1, "- クラウドサービス障害 1件（配送管理、復旧済み）", 4, 1,
                "偽ライブ配信サイトの観測状況をまとめて提供しました。", "特記事項なし。"),
    DailyReport(-6, 2, "- 貸出端末のマルウェア感染疑い 1件（支援調整中）", 3, 2,
                "仮想化基盤の脆弱性（ランサムウェアによる悪用）について注意喚起しました。",
                "ブロックリスト第3版を配布しました。各組織の機器への登録をお願いします。"),
    DailyReport(-4, 1, "- システム障害 1件（地震に伴う一時停止、復旧済み）", 2, 1,
                "地震に便乗した詐欺・偽情報に注意を呼びかけました。", "特記事項なし。"),
    DailyReport(-1, 2, "- Webサイトの閲覧障害 1件（アクセス過多）\n- システム障害 1件", 3, 1,
                "閉会式の偽ライブ配信サイトの準備と思われるドメイン登録を観測しています。",
                "閉会式（{closing}）に向けた体制を本日から準備します。"),
)


# --- hand-written bulletins ---------------------------------------------------------------------

MANUALS = (
    B(-60, "10:00", "manual", SYSADMIN, "advisory", "はじめにお読みください：情報共有システムの使い方", """
対処調整センターの情報共有システムへようこそ。まず次の3点をご確認ください。

1. **ホーム**の「必ず見てほしいトピック」と「新着トピック一覧」を毎日ご確認ください。
2. 読んだトピックには **いいね！** を押してください（閲覧したら押してください）。センターはいいね！の数で情報が届いたことを確認しています。
3. インシデント（予兆・ヒヤリハット・疑いを含む）は **そうだんの窓口** へ報告してください。共有先に所管省庁や大会組織委員会、治安機関を指定すれば、一度の報告で関係組織に届きます（ワンストップ）。

### コミュニティ
- **情報提供（一般）**：システム運用やセキュリティ対策を直接担当していない方向け
- **情報提供（プロ）**：システム運用担当者や委託先事業者等、セキュリティ対策に携わる方向け
- **観測情報等通知用**：ご登録いただいたURL・IPアドレスに関する観測情報を、貴組織だけにお知らせします
- **対処調整センター連絡窓口**：登録内容の変更などの事務連絡
""", tlp="clear", pinned=True, reach=0.7),
    B(-60, "10:30", "manual", SYSADMIN, "advisory", "TLP（Traffic Light Protocol）の取扱いについて", """
各トピックには、受け取った情報をどこまで共有してよいかを示す **TLP** が付いています（FIRST TLP 2.0）。

| 表示 | 共有してよい範囲 |
|---|---|
| TLP:CLEAR | 制限なし（公開情報） |
| TLP:GREEN | 参加組織の関係者の間まで。公開はしないでください |
| TLP:AMBER | 自組織と、対処に必要な委託先・顧客まで |
| TLP:AMBER+STRICT | 自組織の中だけ |
| TLP:RED | 指定された受信者本人だけ。口頭での伝達も控えてください |

TLP:RED と TLP:AMBER+STRICT のトピックは、他のコミュニティへ再共有できません。
""", tlp="clear", reach=0.5),
    B(-59, "11:00", "manual", SYSADMIN, "advisory", "トピックタイトルの【重要】【注意】について", """
センターが発信するトピックのタイトルには、対応の緊急度に応じてタグを付けています。

- **【重要】**：早めに該当する製品等の確認と対策検討を進めていただきたい項目
- **【注意】**：監視強化や対策の検討準備を進めていただくことが望ましい項目

タグのないトピックは参考情報です。
""", tlp="clear", reach=0.5),
    B(-58, "14:00", "manual", SYSADMIN, "advisory", "そうだんの窓口：報告・相談・支援要請の手順", """
「そうだんの窓口」では、インシデントの **報告**・**相談**・**支援要請** を受け付けています。

### どんなときに
- サイバー攻撃を受けた、またはそのおそれがある（予兆・ヒヤリハット・疑いを含みます）
- システム障害で大会運営やサービスに影響が出た、または出るおそれがある
- 対処方法がわからない、外部の支援が必要

### 書き方
1. タイトルの先頭に【報告】【相談】【支援要請】のいずれかを付けます。
2. 発生日時、事象、影響範囲、現在の対応状況を、わかる範囲で書いてください。確定していなくても構いません。
3. **共有先**で「選んだ組織・人」を選ぶと、事業所管省庁、大会組織委員会、治安機関などにも同時に届きます。選ばない場合、読めるのは貴組織とセンターだけです。

センターは内容を確認し、助言と、必要に応じて情報セキュリティ関係機関との支援の調整を行います。
""", tlp="green", reach=0.6),
    B(-57, "15:00", "manual", SYSADMIN, "advisory", "観測対象URL・IPアドレスの登録と観測情報の通知について", """
情報セキュリティ関係機関とCTI事業者の協力を得て、ご登録いただいたURL・IPアドレスを観測しています。通常と異なる観測結果があれば、貴組織専用の「観測情報等通知用」コミュニティでお知らせします（他の組織からは見えません）。

通知の例：
- 不正と思われる通信の送信情報
- 一般公開されている観測対象Webサイトの脆弱性情報
- DDoS攻撃通信の送信情報
- ダークウェブ観測情報（攻撃予告、認証情報の漏えい等）

登録内容の追加・変更は「対処調整センター連絡窓口」でご連絡ください。
""", tlp="green", reach=0.4),
    B(-56, "09:30", "manual", SYSADMIN, "advisory", "よくある質問（FAQ）", """
**Q. いいね！は誰が押したか分かりますか？**
A. はい。トピックを読める方は、いいね！を押した方の一覧を確認できます。

**Q. 情報提供（一般）と（プロ）の両方を読む必要がありますか？**
A. 技術担当の方は（プロ）を、それ以外の方は（一般）を中心にご覧ください。重要な情報は両方に掲載します。

**Q. 報告した内容を後から修正できますか？**
A. 投稿者と自組織の管理者は編集できます。編集前の内容は履歴として残ります。

**Q. パスワードを忘れました。**
A. 自組織の管理者にご連絡ください。

**Q. スマートフォンから使えますか？**
A. はい。PCとスマートフォンの両方でご利用いただけます。
""", tlp="clear", reach=0.3),
    B(-24, "10:00", "manual", LIAISON, "schedule", "大会期間中の対処調整センターの体制と連絡手段", """
大会期間中（{start}から{closing}まで）、対処調整センターは次の体制で対応します。

| 時間帯 | 体制 |
|---|---|
| 8:00〜20:00 | インシデント対応チーム（2チーム）、分析担当、リエゾン（大会組織委員会へ派遣） |
| 20:00〜翌8:00 | 当直（報告の受付と初動の調整） |

- 連絡は原則として本システムで行い、必要に応じて電話・メールを併用します。
- 情報セキュリティ関係機関と治安機関からリエゾンを受け入れています。
- 大会運営に影響するおそれのある事象は、セキュリティ調整センターへ午前・午後の定時に報告します。
""", tlp="green", pinned=True, reach=0.5),
)

SCHEDULES = (
    B(-58, "16:00", "general", LIAISON, "schedule", "第5回一斉演習の実施について", """
大会前最後となる第5回一斉演習を、演習システムを用いて2日間実施します。

- **目的**：大会本番に向けた最終確認（情報連絡手順と対処の迅速化）
- **第一部**：13:30〜 重要サービス事業者でのファイル暗号化事案を想定
- **第二部**：翌日 14:40〜 SNS上の情報漏えい示唆投稿と、顧客・メディアからの問い合わせを想定

演習用の投稿は演習モードで行い、本番の情報と混ざらないようにしてください。参加登録は「対処調整センター連絡窓口」でお願いします。
""", tlp="green", reach=0.5),
    B(-45, "17:30", "general", LIAISON, "schedule", "第5回一斉演習の結果概要と意見交換会のご案内", """
第5回一斉演習には多数の組織にご参加いただき、ありがとうございました。

### 主な気づき
- 第一報までの時間は前回より短縮されました。確定情報を待たずに第一報を入れる運用が定着しています。
- 共有先の指定（所管省庁・大会組織委員会）が漏れる例が一部ありました。
- 公表判断（第二部）では、広報部門との連携手順が定まっていない組織が見られました。

意見交換会を来週オンラインで開催します。事例の紹介にご協力いただける組織はコメントでお知らせください。
""", tlp="green", reach=0.3,
      replies=(("kamome", 120, "当社の広報連携の手順について紹介できます。"),
               (LIAISON, 180, "ありがとうございます。別途ご連絡します。"))),
    B(-30, "12:00", "general", SYSADMIN, "schedule", "情報共有システムの計画メンテナンスについて", """
システムの更新作業のため、以下の時間帯はご利用いただけません。

- 日時：{day}の翌週土曜日 2:00〜5:00
- 影響：ログインとすべての画面

緊急の報告は、メンテナンス中に限り当直の電話窓口をご利用ください。
""", tlp="clear", reach=0.2),
    B(-25, "15:00", "general", LIAISON, "schedule", "大会期間中の情報発信スケジュールについて", """
大会期間中、センターからの情報発信は次のとおり行います。

- **日報**：毎日 18:00 ごろ「情報提供（一般）」に掲載
- **脅威情報**：確認次第、随時「情報提供（プロ）」（必要に応じて（一般）にも）
- **観測情報**：確認次第、各組織の「観測情報等通知用」コミュニティ
- **緊急事態情報**：地震・台風等の発生時、随時

重要度の高いものはタイトルに【重要】【注意】を付け、「必ず見てほしいトピック」に表示します。
""", tlp="green", reach=0.4),
    B(-20, "11:00", "general", LIAISON, "schedule", "聖火リレー最終区間と関連行事の日程", """
聖火リレーの最終区間と関連行事の日程をお知らせします。沿道の交通規制や関連サイトへのアクセス増加が見込まれます。

| 日付 | 行事 |
|---|---|
| {start}の4日前 | 聖火リレー（臨海エリア） |
| {start}の2日前 | 聖火到着セレモニー（ライブ配信あり） |
| {start} | 競技開始 |
| {opening} | 開会式 |
""", tlp="clear", reach=0.3),
    B(-18, "17:00", "general", LIAISON, "schedule", "競技初日（{start}）の運営スケジュールと対処体制", """
{start}から競技が始まります。センターは当日 7:00 から大会体制に移行します。

- 7:00 センター大会体制へ移行、リエゾンを大会組織委員会へ派遣
- 9:00 最初の競技開始
- 午前・午後の定時にセキュリティ調整センターへ状況報告
- 18:00 日報の掲載

当日は関連サイトへのアクセス増加と、攻撃予告に基づく攻撃が想定されます。当直体制と連絡先を改めてご確認ください。
""", tag="caution", tlp="green", reach=0.5),
    B(-16, "07:00", "general", COMMANDER, "schedule", "開会式（{opening}）当日のスケジュールと警戒体制", """
開会式当日は、大会期間中で最も攻撃が懸念される日の一つです。

| 時刻 | 内容 |
|---|---|
| 6:00 | センター全要員体制（全体統括、インシデントコントローラー、IR担当2チーム、リエゾン） |
| 12:00 | 会場の最終点検結果の共有 |
| 20:00 | 開会式開始（ライブ配信・放送） |
| 24:00 | 開会式終了後の状況取りまとめ |

各組織におかれては、当日の監視強化と、夜間の連絡体制の確保をお願いします。
""", tag="important", tlp="green", reach=0.7),
    B(-2, "16:00", "general", LIAISON, "schedule", "閉会式（{closing}）当日のスケジュール", """
閉会式当日も、開会式と同様の全要員体制で対応します。

- 6:00 センター全要員体制
- 20:00 閉会式開始
- 閉会式翌日からパラリンピックに向けた体制へ移行します。

開会式では公式オンラインショップの閲覧障害（アクセス過多）と、偽ライブ配信サイトが多数確認されました。閉会式でも同様の事象が想定されます。
""", tag="caution", tlp="green", reach=0.4),
    B(-1, "11:30", "general", LIAISON, "schedule", "パラリンピック開会式（{para}）に向けた体制について", """
閉会式後もパラリンピック閉会式まで、センターは大会体制を継続します。

- {closing}の翌日から{para}の前日まで：日中1チーム、夜間当直
- {para}（パラリンピック開会式）：全要員体制

スポーツ関連団体向けの隔週ダイジェストも継続して配信します。
""", tlp="green", reach=0.2),
)

THREATS = (
    B(-50, "10:00", "pro", ANALYST, "advisory", "VPN機器・リモートアクセスの多要素認証の徹底について", """
VPN機器の脆弱性や、窃取された認証情報を悪用した侵入が国内外で相次いでいます。大会期間中はテレワークや休日の監視手薄を狙った攻撃も想定されます。

### 対策
- VPN・リモートデスクトップ・クラウド管理画面に **多要素認証** を設定してください。
- 退職者や委託先の不要なアカウントを削除してください。
- VPN機器のファームウェアを最新に保ち、認証ログを定期的に確認してください。
""", tag="caution", level="pro", tlp="clear", reach=0.4),
    B(-42, "14:30", "pro", ANALYST, "advisory", "委託先（サプライチェーン）経由の侵入に関する注意喚起", """
システムの保守委託先のリモート接続環境を経由した侵入事案が、海外の大規模イベントの関係組織で報告されています。

- 委託先が利用するリモート接続経路と、接続できる範囲を棚卸ししてください。
- 保守用アカウントは作業時だけ有効にし、操作ログを取得してください。
- 委託先でインシデントが起きた場合の連絡ルールを、契約または覚書で確認してください。
""", tag="caution", level="pro", tlp="green", reach=0.3),
    B(-37, "16:40", "pro", ANALYST, "malware", "Mirai 亜種によるIoT機器への感染拡大", """
ネットワークカメラや録画装置の脆弱性（コガネ電機社「ミエル」シリーズ等）を悪用して感染を広げる Mirai 亜種の活動が活発になっています。感染した機器はDDoS攻撃の踏み台として使われます。

- 会場、駅、空港等に設置されたIoT機器の管理画面がインターネットに公開されていないか確認してください。
- 初期パスワードのまま運用している機器がないか確認してください。
- 貴組織のIPアドレスから探索通信が観測された場合は、観測情報等通知用コミュニティでお知らせします。
""", level="pro", tlp="clear", reach=0.3),
    B(-35, "13:15", "pro", ANALYST, "malware", "Emotet の感染再拡大と大会関連の件名を用いたメール", """
Emotet の感染を狙うメールの送信が再び増えています。最近は「大会ボランティアの配置について」「観戦チケットの当選通知」など、大会に関連する件名が使われています。

### 特徴
- 実在の取引先や過去のメールのやり取りを引用した返信を装う
- パスワード付きZIPファイル、またはマクロ付きのOffice文書を添付
- 本文中のリンクからファイルをダウンロードさせる

### 対策
- マクロの自動実行を無効にしてください。
- 不審なメールを受け取った場合は開かずにシステム担当へ連絡してください。
- 感染が疑われる場合は「そうだんの窓口」へご報告ください。
""", tag="caution", level="pro", tlp="clear", reach=0.4,
      replies=(("wakaba.hayashi", 200, ("当行でも同様の件名のメールを3件受信し、ゲートウェイで"
                                       "隔離しました。")),)),
    B(-30, "18:00", "pro", ANALYST, "attack_foresight", "大会を標的とする可能性がある主な攻撃者グループの動向", """
過去の大会で確認された攻撃と最近の活動から、大会への影響が懸念される攻撃者グループの動向をまとめました。

| 類型 | 主な手口 | 想定される狙い |
|---|---|---|
| 国家の関与が疑われるグループ | 標的型メール、VPN機器の脆弱性悪用、ワイパー型マルウェア | 開会式の運営妨害、信用失墜 |
| ハクティビスト | DDoS攻撃、Webサイト改ざん、SNSでの攻撃呼びかけ | 大会開催への抗議 |
| 金銭目的の犯罪グループ | ランサムウェア、フィッシング、偽ライブ配信サイト | 身代金、カード情報 |

前回大会では開会式の運営を妨害するワイパー型マルウェアが使われたと報道されています。開会式前後は特に警戒をお願いします。
""", level="pro", tlp="amber", reach=0.35),
    B(-26, "10:30", "general", ANALYST, "advisory", "ランサムウェアに備えたバックアップの点検をお願いします", """
国内でもランサムウェアによる被害が続いています。大会期間中にシステムが止まらないよう、バックアップを点検してください。

- バックアップがネットワークから切り離された場所（オフライン）にもあるか
- バックアップから実際に復旧できるか（復旧の手順と所要時間）
- バックアップ用のアカウントが通常業務のアカウントと分かれているか
""", tlp="clear", reach=0.3),
    B(-24, "15:40", "pro", ANALYST, "malware", "ランサムウェア「ナイトシェード」の侵入手口と対策", """
国内外で被害が続いているランサムウェア「ナイトシェード」について、CTI事業者の分析を基に侵入手口と対策をまとめました。

### 侵入手口
1. VPN機器やファイル転送製品の脆弱性、または窃取された認証情報で侵入
2. 正規の遠隔管理ツールで横展開し、ドメイン管理者権限を取得
3. データを外部に持ち出した後、仮想化基盤ごと暗号化（二重恐喝）

### 対策
- 外部公開機器の脆弱性対策と多要素認証
- 管理者アカウントの利用の監視
- オフラインのバックアップ

詳細な侵害指標（IoC）は「情報提供（ミツバチ・スレットインテリジェンス）」を参照してください。
""", tag="important", level="pro", tlp="green", reach=0.45),
    B(-21, "17:20", "pro", RESPONDER2, "observation", "大会関連の不審ドメインの観測状況（第1報）", """
大会関係組織に関連するドメイン・キーワードを対象にした調査の第1報です。

- 調査で確認した不審ドメイン：1,204件
- うちフィッシングサイトと判断したもの：11件
- 偽ライブ配信サイト：6件（準備中のものを含む）

該当する組織には観測情報等通知用コミュニティで個別にお知らせしています。大会が近づくにつれて増加が見込まれます。
""", level="pro", tlp="green", reach=0.3),
    B(-20, "09:00", "general", ANALYST, "advisory", "チケット転売を装ったSMS（スミッシング）に注意", """
「観戦チケットの再抽選に当選しました」「チケットの受け取り手続きが必要です」などと書かれたSMSが確認されています。リンク先は公式サイトを装った偽サイトで、個人情報やクレジットカード情報を入力させようとします。

- SMSやメールのリンクからチケットの手続きをしないでください。
- 職員やご家族にも周知をお願いします。
""", tag="caution", tlp="clear", reach=0.35),
    B(-19, "13:00", "general", ANALYST, "advisory", "大会組織委員会を装ったなりすましメールに注意", """
大会組織委員会の担当者を装い、「関係者向けの入場証の発行」を口実に添付ファイルを開かせようとするメールが確認されています。

- 差出人のドメインが正規のもの（organiser.example）と異なります。
- 添付ファイルはマクロ付きのOffice文書です。

心当たりのないメールは開かず、大会組織委員会の担当者に電話等で確認してください。
""", tag="caution", tlp="green", reach=0.4,
      replies=(("organiser", 90, ("大会組織委員会です。当委員会から入場証の発行を"
                                 "メールで案内することはありません。ご注意ください。")),)),
    B(-17, "10:00", "general", ANALYST, "advisory", "会場での来場者向けWi-FiとUSB機器の取扱いについて", """
会場では来場者・報道関係者向けのネットワークと、業務用のネットワークを必ず分けて運用してください。

- 来場者向けWi-Fiから業務システムに到達できないことを確認してください。
- 配布物のUSBメモリや、落ちていたUSBメモリを業務用端末に接続しないでください。
- 貸し出し用端末は返却のたびに初期化してください。
""", tlp="green", reach=0.3),
    B(-16, "10:30", "pro", ANALYST, "malware", "大会関連の被害報告を装う不正プログラムを確認。開かないように注意。", """
大会関連の **サイバー攻撃による被害報告を装った不正プログラム** を確認しました。ファイルを開くと、画面に被害報告書（PDFを模したもの）を表示する裏で、端末内のファイルを破壊する **ワイパー型** の不正プログラムです。

### 特徴
- ファイル名の例：「大会関連サイバー攻撃被害報告書.exe」（アイコンはPDFを装う）
- 圧縮ファイルに格納され、メール添付やファイル共有サービスのリンクで配布
- 実行すると、しばらくして端末が起動しなくなる

### 対策
- 上記のようなファイルは **開かずに削除** し、システム担当へ連絡してください。
- 拡張子を表示する設定にしてください。
- ウイルス対策ソフトの定義ファイルを最新にしてください。
- 開いてしまった場合は、ネットワークから切り離して「そうだんの窓口」へご報告ください。

### 侵害指標（IoC）
| 種別 | 値 |
|---|---|
| SHA-256 | 3f1c0e5d…（デモ用） |
| 通信先 | 192.0.2.45, report-games.example |
""", tag="important", level="pro", tlp="green", pinned=True, reach=0.85,
      replies=(("hinode.inoue", 55, ("同名のファイルが添付されたメールを1件受信していました。"
                                    "開封前に削除しましたが、念のため「そうだんの窓口」に"
                                    "相談を入れます。")),
               (ANALYST, 75, "ありがとうございます。受信日時と差出人を窓口でお知らせください。"),
               ("sakura.watanabe", 130, ("当社のメールゲートウェイでも同じハッシュ値を検知・"
                                        "隔離しました（2件）。")))),
    B(-16, "11:00", "general", ANALYST, "malware", "大会の「被害報告」を装ったファイルを開かないでください", """
大会へのサイバー攻撃の「被害報告書」を装ったファイルが出回っています。開くと、パソコンの中のファイルが壊され、パソコンが使えなくなります。

- 「被害報告書」「被害状況まとめ」などの名前のファイルが届いても **開かないでください**。
- 開いてしまったら、すぐにLANケーブルを抜く・Wi-Fiを切るなどしてネットワークから切り離し、システム担当へ連絡してください。
""", tag="important", tlp="clear", reach=0.6),
    B(-16, "19:40", "pro", ANALYST, "attack_foresight", "大会関係組織を名指しした攻撃予告（ダークウェブ）", """
ダークウェブ上の掲示板で、大会関係組織3組織を名指しし、本日から開会式にかけてDDoS攻撃を行うとする予告を確認しました。予告の投稿者は過去に小規模なDDoS攻撃を実行した実績があります。

- 名指しされた組織：本トピックの共有先の3組織
- 予告された期間：本日から開会式当日まで
- 既に本日夕方から、うち1組織への攻撃通信を観測しています

名指しされた組織には観測情報等通知用コミュニティで個別の観測結果をお知らせしています。本情報は共有先の方だけでお取り扱いください。
""", tag="important", level="pro", tlp="red",
      orgs=(CENTRE, "organiser", "sakura", "kamome", "stadium", "police"),
      reach=0.9, replies=(("police.ikeda", 45, ("治安機関としても情報を把握しました。"
                                               "投稿者の特定に向けて対応します。")),)),
    B(-15, "09:30", "pro", COMMANDER, "advisory", "開会式に向けた監視強化のお願い", """
競技初日から、大会関係組織を名指しした攻撃予告と、それに基づくDDoS攻撃が観測されています。開会式（{opening}）に向けて、次の点をお願いします。

1. Webサイト・公開サーバの監視を強化し、閲覧障害時の代替手段（静的ページ、SNS）を確認する
2. DDoS緩和サービスの発動条件と事業者の連絡先を確認する
3. 夜間・休日の当直と連絡体制を確認する
4. 不審な事象は確定を待たずに「そうだんの窓口」へ第一報を入れる
""", tag="important", level="pro", tlp="green", reach=0.7),
    B(-15, "16:20", "pro", ANALYST, "attack_foresight", "ハクティビストによる放送事業者への攻撃呼びかけ", """
SNS上で、開会式を放送・配信する事業者に対するDDoS攻撃とWebサイト改ざんを呼びかける投稿を確認しました。投稿には攻撃対象候補として、放送局の番組サイトや配信サイトのURLが列挙されています。

- 呼びかけへの賛同は現時点で少数です。
- 攻撃ツール（DDoS用スクリプト）の配布が伴っています。

放送・配信関係の組織は、開会式中継の時間帯の監視強化をお願いします。
""", tag="caution", level="pro", tlp="amber", reach=0.4),
    B(-14, "08:00", "pro", ANALYST, "attack_foresight", "DDoS攻撃キャンペーン（#OpBoycottOlympics）に関する注意喚起", """
ハッシュタグ **#OpBoycottOlympics** を用いて、大会関係組織へのDDoS攻撃を呼びかけるキャンペーンを確認しました。本日の開会式に合わせて攻撃を行うとしています。

### 確認された内容
- SNSと匿名掲示板で、攻撃対象のリスト（大会関係組織、スポンサー企業、自治体のWebサイト）が共有されている
- 攻撃ツールの配布と、攻撃開始時刻（開会式の開始時刻）の指定がある
- 既に複数の組織でDDoS攻撃通信を観測している

### 対策
- DDoS緩和サービス・CDNの設定と、発動時の連絡先を確認してください。
- 閲覧障害が起きた場合に備え、静的ページへの切替とSNSでの告知手順を確認してください。
- 攻撃を受けた場合は「そうだんの窓口」へご報告ください。
""", tag="important", level="pro", tlp="green", pinned=True, reach=0.8,
      replies=(("kamome.hashimoto", 240, ("昨日の攻撃を受けて、CDN事業者と開会式当日の"
                                         "増強を調整しました。")),
               ("hinode", 300, ("当社の配信サイトも対象リストに含まれていました。"
                               "監視を強化しています。")),
               (CONTROLLER, 330, "ありがとうございます。異常があれば窓口へ第一報をお願いします。"))),
    B(-14, "22:30", "pro", RESPONDER, "observation", "開会式当日のDDoS攻撃観測状況", """
開会式当日に観測したDDoS攻撃の状況です（22時時点）。

| 時間帯 | 対象 | 規模 | 影響 |
|---|---|---|---|
| 19:50〜20:30 | 大会関係組織のWebサイト（2組織） | 最大 約 12 Gbps | 一時的な表示遅延 |
| 20:10〜20:25 | 会場案内サイト（1組織） | 約 2 Gbps | 約10分間の閲覧障害、復旧済み |
| 21:00〜 | 自治体のWebサイト（1組織） | 小規模 | 影響なし |

いずれも大会運営への影響はありませんでした。閉会式でも同様の攻撃が想定されます。
""", tag="caution", level="pro", tlp="amber", reach=0.5),
    B(-13, "08:30", "general", ANALYST, "vulnerability", "iPhone・iPadを最新版に更新してください", """
iPhone・iPad の基本ソフト（iOS・iPadOS）に、攻撃に悪用されている弱点（脆弱性）が見つかりました。

- 「設定」→「一般」→「ソフトウェアアップデート」から、最新版に更新してください。
- 業務用の端末は、システム担当の指示に従ってください。
""", tag="important", tlp="clear", reach=0.5),
    B(-12, "14:00", "general", ANALYST, "advisory", "大会観戦者を狙ったフィッシングサイトに注意", """
大会のライブ配信や公式グッズの販売を装ったフィッシングサイトが多数確認されています。これまでに確認した偽ライブ配信サイトは30件を超えました。

- 「無料で高画質ライブ配信」「会員登録で視聴可能」などとうたうサイトに個人情報やカード情報を入力しないでください。
- 公式の視聴方法は、大会公式サイトと放送事業者のサイトで確認してください。
""", tlp="clear", reach=0.4),
    B(-9, "10:00", "general", ANALYST, "advisory", "ワクチン接種の予約サイトを装った不正サイトについて", """
ワクチン接種の予約サイトを装い、住所・氏名・電話番号などを入力させる不正サイトを確認しました。自治体や関係機関の名称を騙る SMS から誘導されます。

- 予約は自治体から届いた案内に記載の方法で行ってください。
- 職員やご家族への周知をお願いします。
""", tlp="clear", reach=0.3,
      replies=(("minato", 60, "みなと市でも市民向けに同様の注意喚起を掲載しました。"),)),
    B(-8, "16:00", "pro", RESPONDER2, "observation", "偽ライブ配信サイトの観測状況まとめ", """
競技初日以降の偽ライブ配信サイトの観測状況です。

- 確認した偽ライブ配信サイト：36件（開会式関連 12件、競技関連 24件）
- 手口：視聴前のアカウント登録画面でメールアドレス・パスワード・カード情報を入力させる
- 多くは開会式の数日前にドメインが登録され、数日で閉鎖

大会組織委員会と連携し、悪質なものはテイクダウンを依頼しています。
""", level="pro", tlp="green", reach=0.3),
    B(-7, "12:10", "pro", ANALYST, "malware", "大会を騙るプログラムの存在を確認", """
大会の公式アプリや「観戦ガイド」を騙るプログラムを確認しました。実行すると、ブラウザに保存された認証情報を窃取して外部へ送信します。

- 配布経路：非公式のアプリ配布サイト、SNS上の短縮URL
- 通信先：198.51.100.23、games-guide-app.example

公式アプリは公式ストアからのみ配布されています。業務用端末へのインストールは行わないでください。
""", tag="caution", level="pro", tlp="green", reach=0.5,
      replies=((ANALYST, 60 * 26, ("【更新】Android版に加え、Windows版の存在も確認しました。"
                                  "通信先に 203.0.113.90 を追加します。")),)),
    B(-6, "18:30", "pro", ANALYST, "observation", "不正通信先IPアドレス・ドメイン一覧（ブロックリスト）第3版", """
これまでの脅威情報・観測情報で確認した不正な通信先の一覧（第3版）です。ファイアウォール、プロキシ、DNSのブロックリストへの登録をご検討ください。CTI事業者の製品・サービスにも登録済みです。

""" + markdown_table(BLOCKLIST_HEADER, BLOCKLIST) + """

機器への登録には添付の blocklist-v3.csv をご利用ください。誤検知が疑われる場合はコメントでお知らせください。
""", level="pro", tlp="amber", reach=0.55,
      files=(("blocklist-v3.csv", csv_text(BLOCKLIST_HEADER, BLOCKLIST)),)),
    B(-10, "11:00", "pro", ANALYST, "malware", "USBメモリ経由で感染するワーム型マルウェア", """
会場等で配布・貸与される端末やUSBメモリを介して感染を広げるワーム型マルウェアを、海外のイベント会場で確認したとの情報があります。

- USBメモリ内のフォルダを隠し、同名のショートカットを作成して実行させる
- 感染端末から指令サーバへ通信し、追加のマルウェアをダウンロードする

貸与端末の自動実行の無効化と、返却時の初期化をお願いします。
""", level="pro", tlp="green", reach=0.3),
    B(-11, "17:30", "pro", ANALYST, "malware", "偽ライブ配信アプリ（Android）による情報窃取", """
競技のライブ配信をうたう Android アプリが、SNS の広告から配布されています。インストールすると SMS の読み取り権限を要求し、ワンタイムパスワードを含む SMS を外部に送信します。

- 公式ストア以外からのアプリのインストールを禁止してください（MDM）。
- 金融機関・カード会社では、不正送金・不正利用の監視を強化してください。
""", level="pro", tlp="green", reach=0.3,
      replies=(("hoshizora", 120, ("当社でもSMS認証を狙った不正利用の試行が増えています。"
                                  "監視を強化しました。")),)),
    B(-5, "10:00", "pro", ANALYST, "attack_foresight", "SNS上での交通機関サイトへのDDoS攻撃の呼びかけ", """
閉会式に合わせて、鉄道・バス・空港の運行情報サイトをDDoS攻撃の対象とするよう呼びかける投稿を確認しました。

- 投稿は複数の言語で拡散されています。
- 開会式時の #OpBoycottOlympics と同じ攻撃ツールが紹介されています。

交通関係の組織は、運行情報の代替掲載手段の確認をお願いします。
""", tag="caution", level="pro", tlp="amber", reach=0.4),
    B(-4, "09:00", "general", ANALYST, "advisory", "連休前のセキュリティ点検のお願い", """
連休中は監視やシステム担当が手薄になり、攻撃に気づくのが遅れがちです。連休前に次の点をご確認ください。

- OSやソフトウェアの更新を済ませる
- 使わない機器の電源を切る
- 連休中の緊急連絡先を確認する
- 連休明けは、メールや添付ファイルを開く前に不審な点がないか確認する
""", tag="caution", tlp="clear", reach=0.3),
)

INCIDENTS = (
    B(-13, "11:00", "general", DUTY, "incident", "クラウドサービスの障害による複数組織のシステム停止について", """
{prev}夜、複数の参加組織が利用しているクラウドサービスで障害が発生し、予約・配送管理などのシステムが約2時間停止しました。サイバー攻撃によるものではないことを確認しています。

大会期間中に同様の障害が起きた場合に備え、クラウドサービスの障害時の業務継続手順（手作業への切替など）をご確認ください。
""", tlp="green", reach=0.3),
    B(-13, "16:00", "general", DUTY, "incident", "公式オンラインショップの閲覧障害（アクセス過多）について", """
開会式後、大会の公式オンラインショップで閲覧しづらい状態が続いています。原因は記念グッズの販売開始に伴うアクセス過多で、サイバー攻撃ではありません。

SNS上で「サイバー攻撃でショップが停止した」とする投稿が見られますが、事実ではありません。問い合わせを受けた場合は、その旨ご説明ください。
""", tlp="clear", reach=0.3),
    B(-11, "15:00", "pro", CONTROLLER, "incident", "重要サービス事業者におけるWebサイト改ざん事案（概要と原因）", """
参加組織で発生したWebサイト改ざん事案について、被害組織の了承を得て、組織を特定できる情報を伏せて共有します。

### 概要
- 会場案内のWebサイトのトップページが、大会への抗議メッセージに書き換えられた（約40分間）
- 利用者の個人情報の流出は確認されていない

### 技術的な原因
- Webサイトの更新を委託していた事業者のCMS管理者アカウントのパスワードが、他サービスから流出したものと同一だった
- 管理画面がインターネットから到達可能で、多要素認証が設定されていなかった

### 他の組織でも確認していただきたいこと
- CMS管理画面へのアクセス制限と多要素認証
- 委託先が使うアカウントの棚卸しとパスワードの使い回しの禁止
- 改ざん検知の仕組みと、静的ページへの切替手順
""", tag="caution", level="pro", tlp="green", reach=0.5),
    B(-8, "10:30", "pro", CONTROLLER, "incident", "大会関連サイトのDoS攻撃による閲覧障害のまとめ", """
競技初日以降、参加組織から報告を受けたDoS攻撃は3件です。

| 事象 | 影響時間 | 対処 |
|---|---|---|
| 運行情報サイトへのHTTPリクエスト集中 | 約30分の表示遅延 | CDNの設定変更 |
| 会場案内サイトへの攻撃 | 約10分の閲覧障害 | 静的ページへの切替 |
| 自治体サイトへの攻撃 | 影響なし | 上流での遮断 |

いずれも攻撃予告や #OpBoycottOlympics との関連が疑われます。早期に静的ページやSNSへ切り替えた組織では、利用者への影響を抑えられました。
""", level="pro", tlp="amber", reach=0.4),
)

WINDOW = (
    B(-16, "14:20", "window", "hinode.inoue", "incident", "【相談】被害報告を装う不正プログラムのメール受信について", """
本日 9:12 に、情報提供（プロ）でお知らせのあった「被害報告書」と同名のファイルが添付されたメールを1件受信していました。

- 受信者：報道部の職員1名
- 添付ファイルは開封していない（本人に確認済み）
- メールは削除済み

他に受信した職員がいないか調査中です。追加で確認すべきことがあれば教えてください。
""", tlp="amber", reach=0.0,
      replies=((RESPONDER, 40, ("ご報告ありがとうございます。メールゲートウェイのログで同じ"
                               "差出人・件名のメールを検索し、受信者全員の端末で当該ファイルが"
                               "実行されていないか確認してください。通信先 192.0.2.45 への"
                               "通信履歴の確認もお願いします。")),
               ("hinode.inoue", 180, ("ログを確認し、他の受信者はいませんでした。"
                                     "192.0.2.45 への通信もありません。")),
               (RESPONDER, 200, "承知しました。本件はこれで終了とします。"))),
    B(-15, "07:55", "window", "kamome.hashimoto", "incident", "【報告】運行情報サイトへのDoS攻撃と思われるアクセス集中", """
本日 7:10〜7:40、運行情報サイトで表示の遅延が発生しました。

- 原因：多数のIPアドレスからのHTTPSリクエストの集中（DoS攻撃と思われる）
- 影響：運行情報が表示されにくい状態（約30分）、列車の運行には影響なし
- 対応：CDN事業者に依頼して地域ごとの制限を設定し、7:40に回復

昨日の攻撃予告との関連を調べています。所管省庁、大会組織委員会、治安機関にも共有します。
""", tlp="amber", orgs=(CENTRE, "mit", "organiser", "police"), reach=0.9,
      replies=((CONTROLLER, 25, ("ご報告ありがとうございます。観測情報等通知用でお送りした"
                                "観測結果と一致します。攻撃元IPアドレスの一覧を情報セキュリティ"
                                "関係機関と共有してよいでしょうか。")),
               ("kamome.hashimoto", 45, "はい、共有して構いません。"),
               ("mit.nishimura", 70, ("交通インフラ省です。把握しました。運行への影響が出た場合は"
                                     "引き続きご連絡ください。")),
               ("police.maeda", 90, ("首都警察です。把握しました。攻撃元の分析結果を"
                                    "いただければ捜査の参考にします。")))),
    B(-13, "09:40", "window", "tsubasa.murata", "incident", "【報告】クラウド型配送管理サービスの障害", """
昨夜 21:50 から 23:55 まで、利用しているクラウド型配送管理サービスが停止し、会場への資材配送の受付ができませんでした。

- 原因：サービス提供事業者側の設備障害（攻撃ではないと事業者から説明あり）
- 影響：配送受付を電話と紙の伝票に切り替えて対応。大会運営への影響なし
""", tlp="green", orgs=(CENTRE, "mit", "organiser"), reach=0.8,
      replies=((DUTY, 30, ("ご報告ありがとうございます。同じサービスを利用している他の組織からも"
                          "報告があり、日報で共有します（組織名は伏せます）。")),)),
    B(-11, "10:05", "window", "stadium.saito", "incident", "【報告】会場案内サイトの改ざん", """
本日 8:20 ごろ、会場案内サイトのトップページが大会への抗議メッセージに書き換えられていることを職員が発見しました。

- 8:35 サイトを停止し、静的なお知らせページに切替
- 9:00 CMSの管理者アカウントで、海外のIPアドレスからのログインを確認
- 個人情報を扱うシステムとは分離されている

原因の調査と復旧について支援をお願いしたいです。大会組織委員会と治安機関にも共有します。
""", tag="important", tlp="red", orgs=(CENTRE, "organiser", "police", "cert"), reach=0.9,
      replies=((CONTROLLER, 20, ("ご報告ありがとうございます。サイバー事案調整機構に支援を"
                                "依頼しました。ログの保全（Webサーバ、CMS、ファイアウォール）を"
                                "お願いします。")),
               ("cert.okada", 60, ("サイバー事案調整機構です。リモートで調査を支援します。"
                                  "ログの提供方法を別途ご連絡します。")),
               ("stadium.saito", 300, ("11:30 に復旧しました。原因は委託先の管理者パスワードの"
                                      "使い回しと見られます。")),
               (CONTROLLER, 360, ("ありがとうございます。組織名を伏せて他の組織にも教訓を"
                                 "共有させてください。")),
               ("stadium.saito", 380, "了解しました。"))),
    B(-9, "15:30", "window", "wakaba", "incident", "【相談】当行を装うフィッシングサイトのテイクダウンについて", """
当行のインターネットバンキングを装ったフィッシングサイトを、お客様からの連絡で把握しました。

- URL：wakaba-bank-login.example（当行とは無関係）
- 誘導：大会の観戦チケット当選を装うSMS

ホスティング事業者へのテイクダウン依頼を進めていますが、海外の事業者で反応がありません。依頼の進め方について助言をいただけますか。
""", tlp="amber", reach=0.0,
      replies=((RESPONDER2, 50, ("海外の事業者には、CTI事業者経由の依頼とブラウザの"
                                "フィッシング対策機能への登録が有効です。URLをブロックリストにも"
                                "追加します。")),
               ("wakaba", 1440, "翌日にサイトが閉鎖されたことを確認しました。ありがとうございました。"))),
    B(-6, "11:15", "window", "arena.yasuda", "incident", "【支援要請】貸出端末のマルウェア感染の疑い", """
報道関係者向けに貸し出している端末1台で、ウイルス対策ソフトがマルウェアを検知しました。

- 検知名：Emotet と推定
- 端末は来場者向けネットワークに接続しており、業務用ネットワークとは分離
- 端末は回収済み（電源は入れたまま、ネットワークから切断）

感染経路と他の端末への影響の調査について、支援をお願いします。
""", tag="caution", tlp="amber+strict", orgs=(CENTRE, "cert", "organiser"), reach=0.9,
      replies=((CONTROLLER, 30, ("サイバー事案調整機構と調整します。端末の電源は入れたまま"
                                "保管してください。")),
               ("cert.fujita", 120, "明日午前に現地で調査します。"))),
)

EMERGENCIES = (
    B(-27, "14:10", "general", DUTY, "emergency", "臨海エリアの一部で発生した停電について", """
本日 13:40 ごろ、臨海エリアの一部で停電が発生しました。電力会社によると、送電設備の故障によるもので、サイバー攻撃によるものではありません。

- 14:05 に大部分で復旧
- 会場の一部で非常用発電機が作動

停電に伴うシステムの停止・再起動で不具合が起きた場合は「そうだんの窓口」へご報告ください。
""", tlp="green", reach=0.3,
      replies=(("kagayaki", 30, "かがやき電力です。送電設備の故障で、14:05に全域で復旧しました。"),)),
    B(-19, "17:00", "general", DUTY, "emergency", "台風の接近に伴う体制について", """
台風の接近により、明日未明から首都圏で暴風雨が予想されています。

- 浸水や停電のおそれがある施設では、サーバ等の機器の保護と、停電時の安全な停止手順を確認してください。
- センターは明日 6:00 から要員を増強します。
- 被害により大会運営や重要サービスに影響が出た場合は、本トピックへのコメントまたは「そうだんの窓口」でお知らせください。
""", tag="caution", tlp="green", reach=0.4),
    B(-5, "15:05", "general", COMMANDER, "emergency", "東京湾北部を震源とする地震（最大震度5強）について", """
本日 14:48 ごろ、東京湾北部を震源とする地震があり、最大震度5強を観測しました。津波の心配はありません。

### センターの対応
- 全要員を招集し、体制を強化しました。
- 各組織の被害状況を確認しています。

### お願い
- 人命の安全を最優先にしてください。
- システム・サービスへの影響があれば、本トピックへのコメントでお知らせください（影響がない場合も「影響なし」とコメントいただけると助かります）。
- 地震に便乗した詐欺メール・偽情報にご注意ください。
""", tag="important", tlp="green", reach=0.7, pin_later=True,
      replies=(("kamome", 20, ("かもめ鉄道：全線で運転を見合わせ、安全確認中です。"
                              "システムへの影響はありません。")),
               ("kagayaki.yamashita", 25, "かがやき電力：一部地域で停電（約1,200戸）、復旧作業中です。"),
               ("water", 35, "みなと市水道局：影響なし。"),
               ("arena", 40, "ベイサイド・アリーナ：本日の競技は安全確認のため1時間遅れで再開します。"),
               ("sakura", 45, "さくら通信：通信の輻輳が発生していますが、設備の被害はありません。"),
               (COMMANDER, 120, ("ありがとうございます。16:30時点で大会運営への重大な影響は"
                                "確認されていません。")))),
    B(-4, "10:30", "general", ANALYST, "emergency", "地震に便乗した詐欺メール・偽情報に注意", """
昨日の地震の後、次のようなメールやSNS投稿が確認されています。

- 「地震で会場が損壊し、競技が中止になった」という事実でない投稿（公式発表はありません）
- 義援金の募集を装い、カード情報を入力させる偽サイトへの誘導
- 電力会社を装った「停電補償の手続き」の SMS

公式の情報は、大会組織委員会、自治体、各事業者の公式サイトで確認してください。
""", tag="caution", tlp="clear", reach=0.4),
)

DESK = (
    B(-59, "09:00", "desk", COMMANDER, "advisory", "対処調整センター連絡窓口の使い方", """
このコミュニティは、対処調整センターと参加組織の事務連絡の場です。

- 登録内容（担当者、観測対象のURL・IPアドレス）の変更
- 当直窓口・連絡先の確認
- システムの使い方の質問

すべての参加組織が読めるため、**インシデントの報告は「そうだんの窓口」へ** お願いします。
""", tlp="green", pinned=True, reach=0.5),
    B(-45, "10:00", "desk", RESPONDER2, "advisory", "観測対象URL・IPアドレスの登録内容の更新のお願い", """
大会期間中の観測に向けて、観測対象のURL・IPアドレスの登録内容を確認し、追加・変更があればコメントでお知らせください。特に、大会期間中だけ公開するサイト（特設サイト、ライブ配信、会場案内）の登録漏れにご注意ください。
""", tlp="green", reach=0.4,
      replies=(("arena", 240, "会場案内の特設サイト（event.bayside-arena.example）を追加してください。"),
               ("komadori", 300, "臨時の運行情報ページ（extra.komadori-bus.example）を追加してください。"),
               (RESPONDER2, 360, "いずれも登録しました。"))),
    B(-30, "14:00", "desk", DUTY, "advisory", "大会期間中の当直窓口の確認", """
大会期間中の夜間・休日の連絡先（当直窓口）を確認しています。変更がある組織は、今週中にコメントでお知らせください。変更がない場合は、いいね！を押してください。
""", tlp="green", reach=0.6),
    B(-20, "16:10", "desk", "hoshizora.yamazaki", "advisory", "【質問】TLP:AMBERの情報を委託先に共有してよいか", """
TLP:AMBER の情報（ブロックリスト等）を、当社のセキュリティ監視を委託している事業者に共有してもよいでしょうか。
""", tlp="green", reach=0.2,
      replies=((SYSADMIN, 40, ("TLP:AMBER は、自組織と、対処に必要な範囲で委託先・顧客まで共有"
                              "できます。監視の委託先への共有は問題ありません。TLP:AMBER+STRICT "
                              "の場合は自組織内に限られます。")),
               ("hoshizora.yamazaki", 60, "ありがとうございます。"))),
    B(-12, "19:30", "desk", "umikaze", "advisory", "【質問】夜間の報告は電話が必要ですか", """
夜間に事象が発生した場合、このシステムでの報告だけでよいでしょうか。電話での連絡も必要ですか。
""", tlp="green", reach=0.2,
      replies=((DUTY, 25, ("夜間も当直が本システムを確認していますので、報告は「そうだんの窓口」"
                          "で構いません。大会運営に影響する緊急の事象は、併せて当直の電話にも"
                          "ご連絡ください。")),)),
)

COMMUNITY_POSTS = (
    # 通信ISAC
    B(-33, "11:00", "isac", "sakura.tanaka", "observation", "BGP経路ハイジャックの観測について", """
参考情報までに。昨日、海外の通信事業者が国内の複数事業者のプレフィックスを誤って経路広告し、約2時間にわたって一部の通信が迂回していたことを確認しました。当社の経路も一部含まれていました。

大会期間中に同様の事象が起きた場合の連絡手順を、ISAC内で確認しておきたいと考えています。
""", tlp="amber", reach=0.6,
      replies=(("midori.yamada", 120, "当社でも観測していました。ROAの登録状況を改めて確認します。"),
               ("sakura.tanaka", 180, "連絡手順の案を来週共有します。"))),
    B(-20, "15:00", "isac", "midori", "advisory", "DDoS緩和サービスの発動基準について意見交換", """
大会期間中のDDoS攻撃に備え、緩和サービスの発動基準（トラフィック量、継続時間）と、顧客への連絡の方法について各社の考え方を伺えますか。当社は 5 Gbps・5分継続を目安にしています。
""", tlp="green", reach=0.5,
      replies=(("sakura.watanabe", 90, ("当社は自動発動で、閾値は 3 Gbps です。顧客への連絡は"
                                       "発動後30分以内としています。")),
               ("hinode.matsumoto", 150, ("放送局の立場からは、配信サイトの発動時に連絡を"
                                         "いただけると助かります。")))),
    B(-17, "10:00", "isac", "sakura", "schedule", "開会式当日の通信トラフィック見込みと増強体制", """
開会式当日は、ライブ配信の視聴でトラフィックが平常時の約2.5倍になると見込んでいます。当社は 18:00〜翌2:00 に設備部門と監視部門の要員を増強します。各社の体制も共有いただけると助かります。
""", tlp="amber", reach=0.6,
      replies=(("midori", 60, "当社も同じ時間帯に増強します。緊急連絡先を別途お送りします。"),)),
    B(-15, "20:30", "isac", "sakura", "attack_foresight", "当社を名指しした攻撃予告の受領について", """
当社の問い合わせ窓口に、開会式当日に大規模なDDoS攻撃を行うとする脅迫メールが届きました。身代金の要求はありません。センターの攻撃予告情報とも一致します。

上流での遮断をお願いする可能性があるため、関係するお二人にだけ共有します。
""", tag="important", tlp="red", people=("midori.yamada", "hinode.matsumoto", "mdc.morita"),
      reach=0.9),
    B(-3, "13:00", "isac", "sakura.tanaka", "incident", "伝送設備の障害の発生と復旧について", """
本日 10:05〜10:50、臨海エリアの伝送設備で障害が発生し、一部の法人向け回線が不通となりました。原因は設備のソフトウェア不具合で、攻撃ではありません。ISAC内の情報共有に限ります。
""", tlp="amber+strict", reach=0.5),
    # 交通・運輸セプター
    B(-35, "14:00", "transport", "kamome", "advisory", "駅・空港の案内表示システムのセキュリティ点検", """
過去の大会では、駅や空港の案内表示が乗っ取られた事例が報告されています。大会前に、案内表示システムの次の点を点検することを提案します。

- 保守用のリモート接続の有無と経路
- 表示内容を更新するサーバのアカウント管理
- 異常な表示を見つけた場合の停止手順
""", tlp="green", reach=0.6,
      replies=(("umikaze", 200, "空港でも点検します。結果は次回の連絡会で共有します。"),)),
    B(-21, "10:30", "transport", "kamome.abe", "schedule", "大会輸送期間中の連絡体制", """
大会輸送期間中（{start}から{closing}まで）、各社の運行管理部門の連絡先をこのコミュニティで共有します。変更があればコメントで更新してください。
""", tlp="amber", reach=0.6,
      replies=(("komadori", 60, "こまどりバス：運行管理センター（24時間）で対応します。"),
               ("keyaki", 90, "けやき高速道路：交通管制室で対応します。"))),
    # 東京エリア連絡会
    B(-40, "10:00", "area", "city", "schedule", "東京エリア連絡会 第3回会合のご案内", """
第3回会合をオンラインで開催します。

- 議題：大会期間中の地域の連絡体制、停電・災害時の情報共有、住民向けの偽情報対策
- 資料は前日までにこのコミュニティに掲載します。
""", tlp="clear", reach=0.5),
    B(-25, "13:30", "area", "city.fukuda", "advisory", "臨海エリアの停電・災害時の連絡ルート", """
第3回会合でいただいた意見を基に、停電・災害時の連絡ルートを整理しました。

1. 各組織 → 本コミュニティ（被害状況の共有）
2. サイバー攻撃が疑われる場合 → 「そうだんの窓口」（センター）
3. 開催都市 → 会場管理者・自治体への取りまとめ
""", tlp="green", reach=0.5),
    B(-17, "15:00", "area", "minato", "schedule", "会場周辺の交通規制と職員の出勤について", """
開会式前後の会場周辺の交通規制の予定です。システム担当職員の出勤・待機の計画にご活用ください。

| 日付 | 規制 |
|---|---|
| {opening} | 臨海エリアの一般車両通行止め（15:00〜翌1:00） |
| {closing} | 同上 |
""", tlp="clear", reach=0.4),
    B(-10, "11:00", "area", "city", "advisory", "住民向けの偽情報への対応について", """
大会期間中、「会場周辺で停電が起きる」「水道水が汚染された」などの事実でない投稿がSNSで見られます。自治体・事業者の公式アカウントで速やかに否定し、本コミュニティでも共有してください。
""", tlp="green", reach=0.4,
      replies=(("water", 80, "水道局でも公式サイトに「水道水の安全性に問題はありません」と掲載しました。"),)),
    # CTI事業者のフィード
    B(-36, "10:00", "vendorfeed", "mitsubachi.kondo", "malware", "Emotet・Trickbot の国内観測状況", """
当社センサーで観測した Emotet・Trickbot の国内の通信状況です。Emotet の指令サーバへの通信は前月比で約3倍に増えています。指令サーバの一覧は対処調整センターに提供済みで、当社製品のブロックリストに登録しています。
""", tlp="green", reach=0.4),
    B(-24, "14:00", "vendorfeed", "mitsubachi.moore", "malware", "ランサムウェア「ナイトシェード」分析レポート", """
ランサムウェア「ナイトシェード」の分析結果です（英語の原文レポートは添付予定）。

### 侵害指標（IoC）
| 種別 | 値 |
|---|---|
| IPアドレス | 198.51.100.140 |
| IPアドレス | 203.0.113.201 |
| ドメイン | update-kasumi-mgmt.example |
| ファイル名 | nshade_loader.dll |

暗号化前に正規のクラウドストレージへデータを持ち出す挙動が確認されています。外部への大容量の送信を監視してください。
""", tag="important", tlp="amber", reach=0.5,
      replies=(("mitsubachi.moore", 30, ("English original will be attached once the "
                                        "translation check is done.")),)),
    B(-13, "12:00", "vendorfeed", "mitsubachi", "observation", "開会式前後のDDoS攻撃傾向の確認", """
対処調整センターからの依頼により、開会式前後のDDoS攻撃の傾向を確認しました。

- 開会式当日の国内向けDDoS攻撃は、前週同曜日と比べて約1.8倍
- 攻撃の多くは HTTP GET フラッドで、ボットネット（Mirai 亜種）由来
- 大会関係組織を対象とした攻撃は、開会式開始前後の1時間に集中
""", tlp="green", reach=0.4),
    B(-14, "10:00", "vendorfeed", "mitsubachi.kondo", "observation", "週次脅威レポート：大会関連フィッシングの傾向", """
今週確認した大会関連のフィッシングの傾向です。

- 偽ライブ配信サイトが全体の約8割
- 大会公式サイトに類似したドメインの新規登録が増加
- 決済画面を模したページでカード情報を窃取するもの（PayLine の脆弱性を悪用した改ざんを含む）
""", tlp="amber", reach=0.4),
)

BULLETINS: tuple[Bulletin, ...] = (
    *MANUALS, *SCHEDULES, *THREATS, *INCIDENTS, *WINDOW, *EMERGENCIES, *DESK, *COMMUNITY_POSTS,
    *(vulnerability(v) for v in VULNERABILITIES),
    *(notice(n) for n in NOTICES),
    *(daily_report(d) for d in DAILY_REPORTS),
)

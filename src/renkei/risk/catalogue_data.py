"""The default risk catalogue, shipped as data: the first version a new installation publishes.

Built from the seed (リスクアセスメント（全体像）, （結果に関するフィードバック）) and
common practice:
- outcome events (業務の阻害につながる事象の結果), threat events
  (結果を生じ得る事象（脅威）) in five groups, and risk sources (リスク源), each risk source
  mapped to the threat events it makes possible × the cyber-kill-chain phases it acts in ×
  the CIA properties it endangers;
- per-sector model cases (business → critical service and the service level to keep → business
  processes → resources / information assets) with the threat events each resource is exposed to.

The centre edits the catalogue in the UI; this file is only the starting point (and what
`renkei manage load_risk_catalogue` loads). `catalogue.validate` checks any version's shape.
Threat events outside the external-malicious group have no kill chain: they land in one row
(phase "-") of the feedback matrix. A threat's `level` is the lightest round approach that expects
it (light < standard < detailed).
"""

import copy


def _l(ja: str, en: str) -> dict:
    return {"ja": ja, "en": en}


KILL_CHAIN = [
    {"code": "recon", **_l("偵察", "Reconnaissance")},
    {"code": "delivery", **_l("配送", "Delivery")},
    {"code": "install", **_l("侵入・感染・インストール", "Exploitation and installation")},
    {"code": "c2", **_l("遠隔操作", "Command and control")},
    {"code": "actions", **_l("目的の実行", "Actions on objectives")},
]

CIA = [
    {"code": "A", **_l("可用性", "Availability")},
    {"code": "I", **_l("完全性", "Integrity")},
    {"code": "C", **_l("機密性", "Confidentiality")},
]

OUTCOMES = [
    {"code": "O1", **_l("システムの停止", "System outage")},
    {"code": "O2", **_l("データの改ざん", "Data tampering")},
    {"code": "O3", **_l("情報の漏えい", "Information leakage")},
    {"code": "O4", **_l("サービス品質の低下", "Degraded service")},
    {"code": "O5", **_l("制御システムの誤動作", "Control system malfunction")},
    {"code": "O6", **_l("なりすまし・不正利用", "Impersonation and misuse")},
]

THREAT_GROUPS = [
    {"code": "external", "kill_chain": True, **_l("外部不正", "External malicious")},
    {"code": "internal", "kill_chain": False, **_l("内部不正", "Internal misuse")},
    {"code": "error", "kill_chain": False, **_l("人的ミス", "Human error")},
    {"code": "failure", "kill_chain": False, **_l("故障・障害", "Failure")},
    {"code": "disaster", "kill_chain": False, **_l("災害", "Disaster")},
]


def _t(code, group, level, ja, en) -> dict:
    return {"code": code, "group": group, "level": level, **_l(ja, en)}


THREATS = [
    _t("E01", "external", "light", "不正な処理・機能の実行", "Execution of unauthorised functions"),
    _t("E02", "external", "light", "サービス妨害攻撃", "Denial-of-service attack"),
    _t("E03", "external", "light", "脆弱性を標的にした攻撃", "Attack on vulnerabilities"),
    _t("E04", "external", "standard", "不正アクセス・なりすまし",
       "Unauthorised access and impersonation"),
    _t("E05", "external", "standard", "標的型メールによるマルウェア感染",
       "Malware through targeted e-mail"),
    _t("E06", "external", "standard", "ウェブサイトの改ざん", "Website defacement"),
    _t("E07", "external", "detailed", "委託先・サプライチェーンを経由した攻撃",
       "Attack through suppliers"),
    _t("I01", "internal", "standard", "権限の不正使用", "Abuse of privileges"),
    _t("I02", "internal", "detailed", "情報の不正な持ち出し", "Data theft by an insider"),
    _t("H01", "error", "light", "誤操作・誤設定", "Wrong operation or configuration"),
    _t("H02", "error", "standard", "誤送信・媒体の紛失", "Misdirected mail or lost media"),
    _t("F01", "failure", "light", "機器・ソフトウェアの故障", "Hardware or software failure"),
    _t("F02", "failure", "standard", "外部サービス・通信回線の障害",
       "Outage of an external service or line"),
    _t("D01", "disaster", "light", "地震・水害等の自然災害",
       "Earthquake, flood and other disasters"),
    _t("D02", "disaster", "standard", "広域停電", "Wide-area power cut"),
]

ALL = ["recon", "delivery", "install", "c2", "actions"]
AIC = ["A", "I", "C"]
NA = ["-"]


def _c(threat, phases, cia) -> dict:
    return {"threat": threat, "phases": list(phases), "cia": list(cia)}


def _r(code, ja, en, *covers) -> dict:
    return {"code": code, **_l(ja, en), "covers": list(covers)}


RISK_SOURCES = [
    _r("R01", "不正検知システムの未導入・不備", "No or weak intrusion detection",
       _c("E01", ["delivery", "c2", "actions"], AIC), _c("E03", ["delivery", "install"], AIC),
       _c("E05", ["c2"], AIC)),
    _r("R02", "ネットワーク境界防御の不備", "Weak network perimeter defence",
       _c("E02", ["delivery"], "A"), _c("E03", ["recon", "delivery"], AIC),
       _c("E04", ["recon", "delivery"], "IC")),
    _r("R03", "脆弱性管理・修正プログラム適用の不備", "Weak vulnerability and patch management",
       _c("E03", ["install"], AIC), _c("E01", ["install"], "AI"), _c("E06", ["install"], "I")),
    _r("R04", "公開情報・システム構成情報の管理不備", "Exposed system information",
       _c("E01", ["recon"], AIC), _c("E02", ["recon"], "A"), _c("E03", ["recon"], AIC),
       _c("E04", ["recon"], "IC")),
    _r("R05", "DDoS対策（帯域確保・緩和サービス）の未導入", "No DDoS mitigation",
       _c("E02", ["delivery", "install", "c2", "actions"], "A")),
    _r("R06", "認証・アクセス制御の不備", "Weak authentication and access control",
       _c("E04", ["install", "actions"], "IC"), _c("I01", NA, "IC")),
    _r("R07", "マルウェア対策の不備", "Weak malware protection",
       _c("E05", ["delivery", "install"], AIC), _c("E01", ["install", "c2"], AIC)),
    _r("R08", "通信監視・ログ分析の不備", "No monitoring or log analysis",
       _c("E01", ["c2", "actions"], "IC"), _c("E05", ["c2", "actions"], "C"),
       _c("I02", NA, "C")),
    _r("R09", "職員の教育・訓練の不足", "Too little staff training",
       _c("E05", ["delivery"], "IC"), _c("H01", NA, "AI"), _c("H02", NA, "C")),
    _r("R10", "バックアップ・復旧手順の不備", "Weak backup and recovery",
       _c("E01", ["actions"], "AI"), _c("F01", NA, "AI"), _c("D01", NA, "A")),
    _r("R11", "システム・回線の冗長化の不備", "No redundancy of systems and lines",
       _c("E02", ["actions"], "A"), _c("F01", NA, "A"), _c("F02", NA, "A"), _c("D01", NA, "A")),
    _r("R12", "ウェブサイト改ざん検知の未導入", "No website tampering detection",
       _c("E06", ["actions"], "I")),
    _r("R13", "委託先・調達先管理の不備", "Weak supplier management",
       _c("E07", ALL, AIC)),
    _r("R14", "特権ID管理・操作記録の不備", "Weak privileged account control and logging",
       _c("I01", NA, AIC), _c("I02", NA, "C")),
    _r("R15", "変更管理・設定確認手順の不備", "Weak change management",
       _c("H01", NA, "AI")),
    _r("R16", "電源設備（無停電電源装置・自家発電）の不備", "Weak power backup (UPS, generator)",
       _c("D02", NA, "A"), _c("D01", NA, "A")),
    _r("R17", "外部記憶媒体・持ち出しの管理不備", "Weak control of removable media",
       _c("I02", NA, "C"), _c("H02", NA, "C"), _c("E05", ["delivery"], AIC)),
    _r("R18", "制御系ネットワークの分離の不備", "Control network not separated",
       _c("E01", ["delivery", "c2"], "AI"), _c("E03", ["delivery"], "AI")),
    _r("R19", "外部サービス事業者との障害時連絡体制の不備",
       "No outage arrangements with service providers", _c("F02", NA, "A")),
]

# Resource kinds and the threat events a resource of the kind is exposed to, unless a model
# case names its own.
KIND_THREATS = {
    "system": ["E01", "E03", "E04", "E05", "E07", "I01", "H01", "F01", "D01", "D02"],
    "network": ["E02", "E03", "F02", "H01", "D01", "D02"],
    "control_system": ["E01", "E03", "E05", "E07", "I01", "H01", "F01", "D01", "D02"],
    "information": ["E04", "E05", "I02", "H02"],
    "website": ["E02", "E03", "E06", "F02"],
}
RESOURCE_KINDS = [
    {"code": "system", **_l("情報システム", "Information system")},
    {"code": "network", **_l("ネットワーク", "Network")},
    {"code": "control_system", **_l("制御システム", "Control system")},
    {"code": "information", **_l("重要情報", "Important information")},
    {"code": "website", **_l("ウェブサイト", "Website")},
]


def _res(code, kind, ja, en) -> dict:
    return {"code": code, "kind": kind, **_l(ja, en), "threats": KIND_THREATS[kind]}


def _model(sector, business, service, level, processes) -> dict:
    """processes: [(ja, en, [resources])]."""
    return {
        "sector": sector,
        "business": _l(*business),
        "services": [{
            **_l(*service), "service_level": _l(*level),
            "processes": [{**_l(ja, en), "resources": resources}
                          for ja, en, resources in processes],
        }],
    }


WEB = _res("web", "website", "公式ウェブサイト", "Public website")
MAIL = _res("mail", "system", "メール・業務端末", "E-mail and office PCs")
CUSTOMER = _res("customers", "information", "顧客情報", "Customer data")

MODEL_CASES = [
    _model("telecom", ("電気通信事業", "Telecommunications"),
           ("固定・移動体通信サービス", "Fixed and mobile communications"),
           ("大会期間中の通信途絶なし（障害時は30分以内に迂回）",
            "No loss of service during the Games (re-routed within 30 minutes)"),
           [("通信設備の運用", "Network operations",
             [_res("core", "network", "コアネットワーク", "Core network"),
              _res("nms", "system", "ネットワーク監視システム", "Network management system")]),
            ("顧客対応", "Customer service", [_res("crm", "system", "顧客管理システム", "CRM"),
                                         CUSTOMER, WEB])]),
    _model("broadcasting", ("放送事業", "Broadcasting"), ("競技中継放送", "Live broadcasts"),
           ("中継の中断なし", "No interruption of live broadcasts"),
           [("番組送出", "Playout", [_res("playout", "control_system", "番組送出システム",
                                          "Playout system"),
                                     _res("contrib", "network", "中継回線", "Contribution links")]),
            ("番組制作", "Production", [_res("newsroom", "system", "報道制作システム",
                                            "Newsroom system"), MAIL, WEB])]),
    _model("finance", ("銀行業", "Banking"), ("預金・決済サービス", "Deposits and payments"),
           ("ATM・インターネットバンキングの稼働率99.9%", "ATMs and online banking 99.9% up"),
           [("勘定系処理", "Core banking", [_res("core", "system", "勘定系システム",
                                              "Core banking system"),
                                         _res("atm", "network", "ATMネットワーク", "ATM network")]),
            ("インターネットバンキング", "Online banking",
             [_res("ib", "system", "インターネットバンキング", "Online banking system"),
              CUSTOMER, WEB])]),
    _model("aviation", ("航空運送事業", "Air transport"), ("旅客輸送", "Passenger flights"),
           ("定時運航率の維持", "On-time departures kept"),
           [("予約・搭乗手続", "Reservations and check-in",
             [_res("dcs", "system", "予約・搭乗システム", "Reservation and departure control"),
              CUSTOMER, WEB]),
            ("運航管理", "Flight operations", [_res("ops", "system", "運航管理システム",
                                               "Flight operations system")])]),
    _model("railway", ("鉄道事業", "Railway"), ("列車運行", "Train services"),
           ("大会輸送ダイヤの維持", "Games timetable kept"),
           [("運行管理", "Traffic management",
             [_res("ctc", "control_system", "運行管理システム", "Traffic control system"),
              _res("signal", "control_system", "信号保安設備", "Signalling")]),
            ("旅客案内・発券", "Passenger information and ticketing",
             [_res("ticket", "system", "発券・改札システム", "Ticketing and gates"), WEB])]),
    _model("electricity", ("電気事業", "Electricity"), ("電力供給", "Power supply"),
           ("会場への電力供給の途絶なし", "No loss of power at venues"),
           [("需給・系統運用", "Grid operations",
             [_res("ems", "control_system", "給電制御システム（EMS/SCADA）", "EMS / SCADA"),
              _res("ot_net", "network", "制御用ネットワーク", "Control network")]),
            ("料金・顧客対応", "Billing and customers",
             [_res("billing", "system", "料金システム", "Billing system"), CUSTOMER])]),
    _model("gas", ("ガス事業", "Gas"), ("都市ガス供給", "Gas supply"),
           ("供給の途絶なし", "No loss of supply"),
           [("製造・供給制御", "Production and supply control",
             [_res("scada", "control_system", "供給制御システム", "Supply control (SCADA)"),
              _res("ot_net", "network", "制御用ネットワーク", "Control network")]),
            ("保安・受付", "Safety and calls", [_res("call", "system", "保安受付システム",
                                                 "Safety call system"), CUSTOMER])]),
    _model("water", ("水道事業", "Water supply"), ("上水の供給", "Drinking water"),
           ("給水の途絶なし・水質基準の維持", "Supply and water quality kept"),
           [("浄水・配水制御", "Treatment and distribution",
             [_res("scada", "control_system", "浄水場監視制御システム", "Treatment plant SCADA"),
              _res("telemetry", "network", "テレメータ回線", "Telemetry lines")]),
            ("料金・窓口", "Billing", [_res("billing", "system", "料金システム", "Billing system"),
                                      CUSTOMER])]),
    _model("logistics", ("物流事業", "Logistics"), ("大会物資の輸送", "Transport of Games goods"),
           ("指定時刻までの配送", "Deliveries on time"),
           [("配車・配送管理", "Dispatch", [_res("tms", "system", "配送管理システム",
                                              "Transport management system")]),
            ("倉庫管理", "Warehousing", [_res("wms", "system", "倉庫管理システム",
                                             "Warehouse management system"), MAIL])]),
    _model("credit", ("クレジットカード事業", "Credit cards"), ("カード決済", "Card payments"),
           ("オーソリゼーションの稼働率99.9%", "Authorisation 99.9% up"),
           [("オーソリゼーション", "Authorisation",
             [_res("auth", "system", "オーソリゼーションシステム", "Authorisation system"),
              _res("net", "network", "加盟店接続回線", "Merchant network")]),
            ("会員管理", "Members", [CUSTOMER, WEB])]),
    _model("local_government", ("地方行政", "Local government"),
           ("住民サービス・大会関連行政", "Citizen services"),
           ("窓口業務の継続", "Counters kept open"),
           [("住民情報の管理", "Residents' records",
             [_res("residents", "system", "住民情報システム", "Residents' records system"),
              _res("lgwan", "network", "庁内ネットワーク", "Office network"),
              _res("records", "information", "住民の個人情報", "Residents' personal data")]),
            ("広報", "Public information", [WEB, MAIL])]),
    _model("sewerage", ("下水道事業", "Sewerage"), ("下水の処理", "Sewage treatment"),
           ("処理の途絶なし", "No loss of treatment"),
           [("処理場・ポンプ場の制御", "Plant and pump control",
             [_res("scada", "control_system", "処理場監視制御システム", "Plant SCADA"),
              _res("telemetry", "network", "テレメータ回線", "Telemetry lines")])]),
    _model("airports", ("空港運営", "Airport operation"), ("旅客ターミナルの運営",
                                                         "Terminal operation"),
           ("出発・到着手続の継続", "Departures and arrivals kept running"),
           [("運航情報・案内", "Flight information",
             [_res("fids", "system", "運航情報表示システム", "Flight information display"),
              _res("bhs", "control_system", "手荷物搬送システム", "Baggage handling")]),
            ("施設管理", "Facilities", [_res("bms", "control_system", "ビル管理システム",
                                            "Building management system"), WEB])]),
    _model("traffic_control", ("交通管制", "Traffic control"),
           ("交通信号・管制", "Traffic control"),
           ("管制の途絶なし", "No loss of control"),
           [("管制", "Control", [_res("tcs", "control_system", "交通管制システム",
                                      "Traffic control system"),
                                 _res("net", "network", "管制用回線", "Control lines")])]),
    _model("emergency_calls", ("消防・救急", "Fire and ambulance"), ("緊急通報の受付・指令",
                                                                  "Emergency call handling"),
           ("通報の受付漏れなし", "Every call answered"),
           [("通報受付・指令", "Call taking and dispatch",
             [_res("cad", "system", "消防指令システム", "Computer-aided dispatch"),
              _res("net", "network", "指令回線", "Dispatch lines")])]),
    _model("weather", ("気象情報サービス", "Weather services"), ("気象・災害情報の提供",
                                                               "Weather and disaster information"),
           ("配信の遅延10分以内", "Delivery within 10 minutes"),
           [("予報・配信", "Forecasting and delivery",
             [_res("dist", "system", "情報配信システム", "Distribution system"), WEB])]),
    _model("immigration", ("出入国管理", "Immigration"), ("出入国審査", "Border control"),
           ("審査待ち時間の維持", "Queue times kept"),
           [("審査", "Checks", [_res("gate", "system", "審査システム・自動化ゲート",
                                     "Border control system and e-gates"),
                                _res("records", "information", "渡航者情報", "Traveller data")])]),
    _model("expressways", ("高速道路事業", "Expressways"), ("高速道路の通行", "Expressway traffic"),
           ("大会関係車両の通行確保", "Games traffic kept moving"),
           [("交通管制・料金収受", "Traffic control and tolls",
             [_res("tcs", "control_system", "交通管制システム", "Traffic control system"),
              _res("etc", "system", "料金収受システム", "Toll system")])]),
    _model("heat_supply", ("熱供給事業", "Heat supply"), ("冷温熱の供給", "Heating and cooling"),
           ("会場への供給の途絶なし", "No loss of supply at venues"),
           [("プラント制御", "Plant control",
             [_res("bems", "control_system", "プラント制御システム", "Plant control system")])]),
    _model("buses", ("バス事業", "Buses"), ("路線・輸送バスの運行", "Bus services"),
           ("大会輸送ダイヤの維持", "Games timetable kept"),
           [("運行管理", "Operations", [_res("ops", "system", "運行管理システム",
                                            "Operations system"), WEB])]),
    _model("security_guards", ("警備業", "Security guards"), ("会場警備", "Venue security"),
           ("警備員の配置計画どおりの配置", "Guards posted as planned"),
           [("警備計画・配置", "Planning and posting",
             [_res("plan", "system", "警備計画システム", "Planning system"),
              _res("cctv", "control_system", "監視カメラシステム", "CCTV")])]),
    _model("travel", ("旅行業", "Travel"), ("観戦ツアーの手配", "Spectator tours"),
           ("予約の受付継続", "Bookings kept open"),
           [("予約", "Bookings", [_res("booking", "system", "予約システム", "Booking system"),
                                  CUSTOMER, WEB])]),
    _model("hospitals", ("医療", "Hospitals"), ("救急医療", "Emergency care"),
           ("救急受入れの継続", "Emergency admissions kept"),
           [("診療", "Care", [_res("emr", "system", "電子カルテシステム",
                                   "Electronic medical records"),
                              _res("devices", "control_system", "医療機器", "Medical devices"),
                              _res("records", "information", "患者情報", "Patient data")])]),
    _model("venue", ("会場運営", "Venue operation"), ("競技会場の運営", "Venue operation"),
           ("競技の中断なし", "No interruption of competition"),
           [("施設・設備の管理", "Facilities",
             [_res("bms", "control_system", "ビル管理システム（空調・照明・電源）",
                   "Building management (HVAC, lighting, power)"),
              _res("net", "network", "会場ネットワーク", "Venue network")]),
            ("入場管理", "Entry", [_res("gates", "system", "入場ゲート・チケット認証",
                                        "Entry gates and ticket checks"), WEB])]),
]

# The rest of a model case when a sector has none of its own (e.g. an organiser without a
# sector): every organisation has office systems, information and a website.
GENERIC_MODEL_CASE = _model(
    "", ("事業全般", "Business in general"), ("主要業務", "Main business"),
    ("業務の継続", "Business kept running"),
    [("事務・情報管理", "Office work and records", [MAIL, CUSTOMER, WEB])])


def default_catalogue() -> dict:
    """A fresh copy: callers may change it."""
    return copy.deepcopy({
        "kill_chain": KILL_CHAIN,
        "cia": CIA,
        "outcomes": OUTCOMES,
        "threat_groups": THREAT_GROUPS,
        "threats": THREATS,
        "risk_sources": RISK_SOURCES,
        "resource_kinds": RESOURCE_KINDS,
        "model_cases": [*MODEL_CASES, GENERIC_MODEL_CASE],
    })

"""The indicator system's share of the demo world: what the centre, an ISAC and a CTI vendor
shared during the Games (phishing domains imitating the Games, fake live-stream sites, C2
addresses, malware hashes), a malware family with its relationships, a report, and sightings
from participants who saw or blocked them. Every object goes in through `services.ingest`.

Addresses come from the documentation ranges (RFC 5737) and domains end in `.example`/`.test`,
so a demo blocklist loaded into a real product blocks nothing real.
"""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from renkei.intel import services, stix
from renkei.intel.models import Source
from renkei.sharing.models import TLP

NAMESPACE = uuid.UUID("5f0c1e2a-9d1b-4b7e-8a53-2f6c1d0e7a10")

PHISHING = [
    ("tokyo-games-tickets.example", "大会チケット再販を装うフィッシングサイト"),
    ("games-official-store.example", "公式グッズ販売を装うフィッシングサイト"),
    ("olympiad-volunteer-login.example", "ボランティアポータルを装う認証情報窃取サイト"),
    ("games-id-verify.test", "大会ID確認を装うフィッシングサイト"),
    ("tokyo-venue-wifi.example", "会場Wi-Fi登録を装うフィッシングサイト"),
    ("games-prize-campaign.test", "当選キャンペーンを装う詐欺サイト"),
    ("ticket-refund-games.example", "チケット払い戻しを装うフィッシングサイト"),
    ("medal-ceremony-seat.test", "表彰式観覧席の抽選を装うサイト"),
]
FAKE_STREAMS = [
    ("live-games-free.example", "偽ライブ配信サイト（開会式）"),
    ("watch-opening-hd.test", "偽ライブ配信サイト（HD配信を称する）"),
    ("games-stream-jp.example", "偽ライブ配信サイト（日本語）"),
    ("marathon-live-now.test", "偽ライブ配信サイト（マラソン）"),
    ("swim-final-stream.example", "偽ライブ配信サイト（競泳決勝）"),
    ("free-sports-tv24.test", "偽ライブ配信サイト（24時間配信を称する）"),
]
C2 = [("192.0.2.14", "FakeStream Loader のC2サーバ"),
      ("192.0.2.77", "FakeStream Loader のC2サーバ"),
      ("198.51.100.23", "DDoSボットネットの指令サーバ"),
      ("198.51.100.150", "ランサムウェアのC2サーバ"),
      ("203.0.113.41", "大会関係者を狙うRATのC2サーバ"),
      ("203.0.113.99", "ランサムウェアのデータ持ち出し先")]
HASHES = ["FakeStream Loader (installer)", "FakeStream Loader (DLL)",
          "チケット詐欺メールの添付文書", "ランサムウェア検体 A", "ランサムウェア検体 B",
          "RAT ドロッパー"]
VENDOR_URLS = ["http://live-games-free.example/watch?ch=1", "http://games-stream-jp.example/hd",
               "http://free-sports-tv24.test/jp/live", "http://tokyo-games-tickets.example/resale",
               "http://games-id-verify.test/login", "http://olympiad-volunteer-login.example/sso"]


def _id(kind: str, name: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, f'{kind}:{name}')}"


def _ts(value: datetime) -> str:
    return stix.format_timestamp(value)


def _indicator(name: str, description: str, pattern: str, when: datetime, *, tlp: str,
               kind: str = "malicious-activity", days: int = 90) -> dict:
    return {
        "type": "indicator", "spec_version": "2.1", "id": _id("indicator", pattern),
        "created": _ts(when), "modified": _ts(when), "name": name, "description": description,
        "indicator_types": [kind], "pattern": pattern, "pattern_type": "stix",
        "valid_from": _ts(when), "valid_until": _ts(when + timedelta(days=days)),
        "object_marking_refs": [stix.TLP_MARKING_IDS[tlp]],
    }


def _fake_hash(name: str) -> str:
    return hashlib.sha256(f"renkei demo sample {name}".encode()).hexdigest()


def load(builder) -> None:
    now = min(builder.now, datetime.now(UTC))
    start = now - timedelta(days=20)
    centre = builder.users["centre.kobayashi"]
    pro = builder.communities["pro"]

    indicators = []
    for i, (domain, text) in enumerate(PHISHING):
        indicators.append(_indicator(domain, text, f"[domain-name:value = '{domain}']",
                                     start + timedelta(hours=9 * i),
                                     tlp=TLP.CLEAR if i % 3 == 0 else TLP.GREEN))
    for i, (domain, text) in enumerate(FAKE_STREAMS):
        indicators.append(_indicator(domain, text, f"[domain-name:value = '{domain}']",
                                     start + timedelta(days=2, hours=7 * i), tlp=TLP.GREEN))
    for i, (address, text) in enumerate(C2):
        # One C2 address was only valid for the first week: it shows as expired.
        indicators.append(_indicator(address, text, f"[ipv4-addr:value = '{address}']",
                                     start + timedelta(days=3, hours=5 * i), tlp=TLP.GREEN,
                                     days=7 if i == 0 else 60))
    for i, label in enumerate(HASHES):
        digest = _fake_hash(label)
        indicators.append(_indicator(label, f"{label}（SHA-256）",
                                     f"[file:hashes.'SHA-256' = '{digest}']",
                                     start + timedelta(days=4, hours=6 * i), tlp=TLP.GREEN,
                                     kind="malicious-activity", days=180))
    first = start + timedelta(days=1)
    malware = {
        "type": "malware", "spec_version": "2.1", "id": _id("malware", "FakeStream Loader"),
        "created": _ts(first), "modified": _ts(first), "name": "FakeStream Loader",
        "description": "偽ライブ配信サイトから「視聴用プレーヤー」として配布されるダウンローダ。",
        "malware_types": ["downloader", "remote-access-trojan"], "is_family": True,
        "object_marking_refs": [stix.TLP_MARKING_IDS[TLP.GREEN]],
    }
    related = [i for i in indicators if "FakeStream" in i["description"]
               or "偽ライブ配信" in i["description"]]
    relationships = [{
        "type": "relationship", "spec_version": "2.1",
        "id": _id("relationship", f"{i['id']}-indicates"), "created": i["created"],
        "modified": i["modified"], "relationship_type": "indicates", "source_ref": i["id"],
        "target_ref": malware["id"], "object_marking_refs": [stix.TLP_MARKING_IDS[TLP.GREEN]],
    } for i in related]
    report = {
        "type": "report", "spec_version": "2.1", "id": _id("report", "fake-streams"),
        "created": _ts(start + timedelta(days=5)), "modified": _ts(start + timedelta(days=5)),
        "name": "偽ライブ配信サイトとFakeStream Loader（週次まとめ）",
        "description": "大会期間中に確認された偽ライブ配信サイトと配布マルウェアのまとめ。",
        "report_types": ["threat-report"], "published": _ts(start + timedelta(days=5)),
        "object_refs": [malware["id"], *[i["id"] for i in related]],
        "object_marking_refs": [stix.TLP_MARKING_IDS[TLP.GREEN]],
    }
    topic = pro.topics.order_by("created_at").first()
    services.ingest([*indicators, malware, *relationships, report], community=pro,
                    user=centre, source=Source.DEMO, source_detail="demo", topic=topic)

    # The ISAC shares TLP:AMBER C2 addresses among its members.
    isac_user = builder.users["sakura.suzuki"]
    amber = [_indicator(f"198.51.100.{n}", "通信事業者網で観測したスキャン元（ISAC内限り）",
                        f"[ipv4-addr:value = '198.51.100.{n}']",
                        start + timedelta(days=6, hours=n % 24), tlp=TLP.AMBER, days=30)
             for n in (61, 62, 63, 88)]
    services.ingest(amber, community=builder.communities["isac"], user=isac_user,
                    source=Source.DEMO, source_detail="demo")

    # The CTI vendor's feed: URLs, and one TLP:RED lead for the organiser only.
    vendor = builder.users["mitsubachi.hasegawa"]
    feed = builder.communities["vendorfeed"]
    urls = [_indicator(url, "ミツバチ社の観測による悪性URL", f"[url:value = '{url}']",
                       start + timedelta(days=7, hours=3 * i), tlp=TLP.GREEN, days=45)
            for i, url in enumerate(VENDOR_URLS)]
    services.ingest(urls, community=feed, user=vendor, source=Source.DEMO, source_detail="demo")
    red = _indicator("203.0.113.200", "組織委員会の職員を狙う標的型攻撃の送信元（組織委員会限り）",
                     "[ipv4-addr:value = '203.0.113.200']", start + timedelta(days=8),
                     tlp=TLP.RED, days=30)
    services.ingest([red], community=feed, user=vendor, source=Source.DEMO,
                    source_detail="demo", audience_mode="chosen",
                    audience_organisations=[builder.orgs["organiser"]])

    # Sightings: participants saw or blocked what the centre shared.
    from renkei.intel.models import StixObject

    def row(pattern):
        return StixObject.objects.get(community=pro, stix_id=_id("indicator", pattern))

    for who, pattern, kind, count in (
            ("kamome.abe", "[domain-name:value = 'live-games-free.example']", "blocked", 42),
            ("wakaba.kimura", "[domain-name:value = 'tokyo-games-tickets.example']", "seen", 3),
            ("sakura.suzuki", "[ipv4-addr:value = '192.0.2.77']", "blocked", 118),
            ("mitsubachi.hasegawa", "[ipv4-addr:value = '192.0.2.77']", "seen", 9),
            ("hinode.matsumoto", "[domain-name:value = 'watch-opening-hd.test']", "blocked", 7)):
        services.report_sighting(user=builder.users[who], indicator=row(pattern), kind=kind,
                                 count=count, seen_at=now - timedelta(days=1),
                                 source=Source.DEMO)

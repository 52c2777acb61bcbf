"""The feeds' share of the demo world: the centre's analyst imported a small MISP feed from a
partner and a plain blocklist, and set up (but did not switch on) a scheduled feed.

Like the intel demo, every value is harmless: documentation addresses (RFC 5737, RFC 3849)
and names under `.example`/`.test`, so a demo blocklist loaded into a real product blocks
nothing real. Everything goes in through the services, as a person would do it.
"""

import json
import uuid
from datetime import timedelta

from renkei.feeds import services
from renkei.feeds.models import Format
from renkei.feeds.services import Placement
from renkei.sharing.models import TLP

ANALYST = "centre.yoshida"
NAMESPACE = uuid.UUID("0d6a8f0e-4a55-4b1c-9b0e-3f1d2c7a9e21")

# (day offset, info, [(MISP type, value, to_ids)])
EVENTS = [
    (-6, "パートナーCSIRT: 大会関連フィッシング（第1報）", [
        ("domain", "games-ticket-resale.example", True),
        ("domain", "official-goods-sale.test", True),
        ("url", "https://games-ticket-resale.example/login", True),
        ("ip-dst", "203.0.113.45", True),
        ("md5", "5f4dcc3b5aa765d61d8327deb882cf99", True),
    ]),
    (-2, "パートナーCSIRT: 偽ライブ配信サイト", [
        ("domain", "opening-live-free.example", True),
        ("hostname", "cdn.opening-live-free.example", True),
        ("ip-dst", "203.0.113.46", True),
        ("ip-dst", "2001:db8:feed::46", True),
        ("sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", True),
        ("url", "https://docs.example/report-opening-live.pdf", False),
        ("comment", "配信URLはSNS広告で拡散", False),
    ]),
]
BLOCKLIST = """# センター作成ブロックリスト（デモ）
192.0.2.201
192.0.2.202
198.51.100[.]77
phish-games-id[.]test
hxxps://volunteer-portal-login[.]example/auth
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
"""


def _feed(builder) -> list[tuple[str, bytes]]:
    manifest, files = {}, []
    for offset, info, attributes in EVENTS:
        when = builder.now.timestamp() + offset * 86400
        event_id = str(uuid.uuid5(NAMESPACE, info))
        summary = {
            "info": info, "date": f"{builder.today + timedelta(days=offset)}",
            "timestamp": str(int(when)), "threat_level_id": "2", "analysis": "2",
            "distribution": "3", "Orgc": {"name": "パートナーCSIRT", "uuid": str(NAMESPACE)},
            "Tag": [{"name": "tlp:green"}, {"name": "type:OSINT"}],
        }
        manifest[event_id] = summary
        event = {"uuid": event_id, **summary, "published": True, "Attribute": [
            {"uuid": str(uuid.uuid5(NAMESPACE, f"{info}:{value}")), "type": kind,
             "category": "Network activity", "to_ids": to_ids, "value": value,
             "timestamp": str(int(when)), "distribution": "5"}
            for kind, value, to_ids in attributes]}
        files.append((f"{event_id}.json", json.dumps({"Event": event}, ensure_ascii=False)
                      .encode()))
    return [("manifest.json", json.dumps(manifest, ensure_ascii=False).encode()), *files]


def load(builder) -> None:
    analyst = builder.users[ANALYST]
    pro = builder.communities["pro"]
    services.start_import(user=analyst, placement=Placement(community=pro, tlp=TLP.GREEN),
                          files=_feed(builder), fmt=Format.MISP_FEED,
                          source_name="partner-csirt-misp-feed", run_now=True)
    services.start_import(user=analyst, placement=Placement(community=pro, tlp=TLP.AMBER),
                          files=[("centre-blocklist.txt", BLOCKLIST.encode())],
                          fmt=Format.LIST, run_now=True)
    services.create_feed_source(
        analyst, name="パートナーCSIRT MISPフィード（例）", url="https://feeds.example/misp/",
        fmt=Format.MISP_FEED, community=pro, tlp=TLP.GREEN, interval_minutes=60,
        valid_days=30, enabled=False)

"""The centre's curated TAXII collections: filters across the communities a reader may read.

Created by migration 0002 and by `ensure_curated_collections` (tests that empty the tables).
"""

from datetime import UTC, datetime

CURATED = [
    {
        "uuid": "6b1f3a4e-2c55-4f0e-9b6a-0c2f5d1e8a01",
        "title": "Blocklist, TLP:GREEN",
        "description": "Indicators marked TLP:CLEAR or TLP:GREEN that are valid now, from every "
                       "community you may read. / 現在有効な TLP:CLEAR・TLP:GREEN のインディケータ"
                       "（閲覧できる全コミュニティから）",
        "filter_types": "indicator",
        "filter_tlp": "clear,green",
        "filter_valid_now": True,
    },
    {
        "uuid": "6b1f3a4e-2c55-4f0e-9b6a-0c2f5d1e8a02",
        "title": "TLP:CLEAR",
        "description": "Every object marked TLP:CLEAR, from every community you may read. / "
                       "TLP:CLEAR のすべてのオブジェクト（閲覧できる全コミュニティから）",
        "filter_types": "",
        "filter_tlp": "clear",
        "filter_valid_now": False,
    },
]


def ensure_curated_collections() -> None:
    from renkei.intel.models import Collection, StoreClock

    for spec in CURATED:
        Collection.objects.get_or_create(uuid=spec["uuid"], defaults={"kind": "curated", **spec})
    StoreClock.objects.get_or_create(pk=1, defaults={"last": datetime(1970, 1, 1, tzinfo=UTC)})

"""The CSV and XLSX exports against the visibility oracle, over random worlds (hypothesis).

For every person of a random world, the CSV export with confined=1 (everything they may export)
holds exactly the live topics the oracle says they read, and the export without it exactly those
less the TLP:RED and TLP:AMBER+STRICT ones. People who cannot sign in get no file at all.
"""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from renkei.sharing.models import CONFINED_TLP
from tests.test_visibility_oracle import (
    LIVE,
    WorldSpec,
    describe,
    expected_for,
    in_random_worlds,
)

BOM = "\ufeff".encode()


def exported_ids(client: Client, **params) -> set[str]:
    response = client.get(reverse("communities:export_csv"), params)
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data.startswith(BOM)
    lines = list(csv.reader(io.StringIO(data[len(BOM):].decode(), newline="")))
    header_at = 1 if params.get("confined") else 0
    assert len(lines[header_at]) == 15  # the header, after the notice when there is one
    return {line[0] for line in lines[header_at + 1:]}


@pytest.mark.django_db
def test_exports_match_the_oracle():
    def check_world(spec: WorldSpec, built) -> None:
        confined = {pid for t, pid in built.topic_ids.items()
                    if spec.topics[t].tlp in CONFINED_TLP}
        for u, user in enumerate(built.users):
            client = Client()
            client.force_login(user)
            who = describe(spec, u)
            signed_in = spec.users[u].active and spec.orgs[spec.users[u].org].active
            if not signed_in:
                response = client.get(reverse("communities:export_csv"), {"confined": 1})
                assert response.status_code == 302, f"export for {who}"
                continue
            _communities, want = expected_for(spec, built, u, LIVE)
            assert exported_ids(client, confined=1) == want, f"export(confined) for {who}"
            assert exported_ids(client) == want - confined, f"export for {who}"

    in_random_worlds(12, check_world)

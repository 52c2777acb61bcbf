"""Indicators for the TAXII benchmark: deterministic, valid STIX 2.1, made lazily.

Indicator i has a fixed id (UUIDv5 of i), a value that depends only on i (an IPv4 address in
10.0.0.0/8, a domain under bench.example, or a SHA-256), TLP:GREEN, and timestamps one
millisecond apart from 2026-01-01. The same i gives byte-for-byte the same object in every run
and for every server, so both are sent exactly the same bundles.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

NAMESPACE = uuid.UUID("8e7c3a52-1f0b-4d55-9c1e-7a3b2d4f6e10")
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def indicator(i: int) -> dict:
    kind = i % 3
    if kind == 0:
        value = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        pattern = f"[ipv4-addr:value = '{value}']"
    elif kind == 1:
        value = f"host-{i}.bench.example"
        pattern = f"[domain-name:value = '{value}']"
    else:
        value = hashlib.sha256(str(i).encode()).hexdigest()
        pattern = f"[file:hashes.'SHA-256' = '{value}']"
    stamp = _stamp(EPOCH + timedelta(milliseconds=i))
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(NAMESPACE, str(i))}",
        "created": stamp, "modified": stamp, "name": value,
        "indicator_types": ["malicious-activity"],
        "pattern": pattern, "pattern_type": "stix", "pattern_version": "2.1",
        "valid_from": stamp, "object_marking_refs": [GREEN],
    }


def bundles(start: int, stop: int, size: int) -> Iterator[str]:
    """Bundles (as JSON text) of indicators start..stop-1, `size` at a time."""
    for first in range(start, stop, size):
        objects = [indicator(i) for i in range(first, min(first + size, stop))]
        yield json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid5(NAMESPACE, f'b{first}')}",
                          "objects": objects}, separators=(",", ":"))

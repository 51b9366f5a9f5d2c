"""Check IDs are permanent: pinned unique, well-formed and complete against SPEC §5."""

from __future__ import annotations

import re
from pathlib import Path

from launchready.checks.catalog import BY_ID, CATALOG, REDIRECTS
from launchready.checks.registry import FAMILIES, implemented_ids

SPEC = Path(__file__).resolve().parents[1].parent / "shared" / "SPEC.md"


def test_ids_unique_and_well_formed() -> None:
    ids = [m.id for m in CATALOG]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"(SEC|ENV|DNS|MAIL|TLS|WEB|SMOKE|PERF|OBS|DB|DEPLOY)\d{3}", i)
               for i in ids)
    assert not set(REDIRECTS) & set(BY_ID), "a redirected ID must not be reused"


def test_catalog_matches_spec() -> None:
    spec_ids = set(re.findall(r"\b((?:SEC|ENV|DNS|MAIL|TLS|WEB|SMOKE|PERF|OBS|DB|DEPLOY)\d{3})\b",
                              SPEC.read_text(encoding="utf-8")))
    assert spec_ids == set(BY_ID)


def test_every_check_has_a_doc_and_a_sane_effort() -> None:
    for m in CATALOG:
        assert len(m.doc) > 30, m.id
        assert 1 <= m.effort_minutes <= 480, m.id


def test_families_cover_only_catalog_ids() -> None:
    assert implemented_ids() <= set(BY_ID)
    seen: set[str] = set()
    for make in FAMILIES:
        ids = set(make().rule_ids)
        assert not ids & seen, "two families claim one ID"
        seen |= ids

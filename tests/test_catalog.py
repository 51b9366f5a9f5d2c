"""Check IDs are permanent: pinned unique, well-formed and complete against the project's docs."""

from __future__ import annotations

import os
import re
from pathlib import Path

from launchready.checks.catalog import BY_ID, CATALOG, REDIRECTS
from launchready.checks.docs import checks_markdown
from launchready.checks.registry import FAMILIES, doc_of, families, implemented_ids

ROOT = Path(__file__).resolve().parents[1]
CHECKS_DOC = ROOT / "docs" / "checks.md"
ID_RE = re.compile(r"\b((?:SEC|ENV|DNS|MAIL|TLS|WEB|SMOKE|PERF|OBS|DB|DEPLOY)\d{3})\b")


def test_ids_unique_and_well_formed() -> None:
    ids = [m.id for m in CATALOG]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"(SEC|ENV|DNS|MAIL|TLS|WEB|SMOKE|PERF|OBS|DB|DEPLOY)\d{3}", i)
               for i in ids)
    assert not set(REDIRECTS) & set(BY_ID), "a redirected ID must not be reused"


def test_checks_doc_is_generated_from_the_catalog() -> None:
    wanted = checks_markdown(implemented_ids(), doc_of)
    if os.environ.get("LAUNCHREADY_REGEN_GOLDEN"):
        CHECKS_DOC.write_text(wanted, encoding="utf-8")
    assert CHECKS_DOC.read_text(encoding="utf-8") == wanted, (
        "docs/checks.md is stale: run LAUNCHREADY_REGEN_GOLDEN=1 pytest tests/test_catalog.py")


def test_catalog_matches_the_docs() -> None:
    # The reference lists exactly the catalog; every ID the other docs mention exists.
    assert set(ID_RE.findall(CHECKS_DOC.read_text(encoding="utf-8"))) == set(BY_ID)
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        unknown = set(ID_RE.findall(doc.read_text(encoding="utf-8"))) - set(BY_ID) - set(REDIRECTS)
        assert not unknown, f"{doc.name} names check IDs the catalog lacks: {sorted(unknown)}"


def test_every_check_has_a_doc_and_a_sane_effort() -> None:
    for m in CATALOG:
        assert len(m.doc) > 30, m.id
        assert 1 <= m.effort_minutes <= 480, m.id


def test_every_available_check_documents_what_why_and_fix() -> None:
    # the family module's docstring is what `launchready checks ID` and docs/checks.md show
    for rule_id in sorted(implemented_ids()):
        doc = doc_of(rule_id) or ""
        missing = [p for p in ("What:", "Why:", "Fix:", "Pass:", "Fail:") if p not in doc]
        assert not missing, f"{rule_id}: its family's docstring lacks {missing}"


def test_registry_selects_families_by_prefix_area_and_options() -> None:
    dns = families(("DNS",), authoritative=True, ns_port=5353)
    assert sorted(r for f in dns for r in f.rule_ids) == [f"DNS00{n}" for n in range(1, 7)]
    assert all(getattr(f, "authoritative", True) for f in dns)
    web = {r for f in families(areas=("tls", "web")) for r in f.rule_ids}
    assert web == {i for i in BY_ID if i.startswith(("TLS", "WEB"))} | {"SEC004", "SEC009"}
    assert len(families()) == len(FAMILIES)


def test_families_cover_only_catalog_ids() -> None:
    assert implemented_ids() <= set(BY_ID)
    seen: set[str] = set()
    for make in FAMILIES:
        ids = set(make().rule_ids)
        assert not ids & seen, "two families claim one ID"
        seen |= ids

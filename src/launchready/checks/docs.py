"""The check reference ``docs/checks.md``, generated from the catalog so the two cannot drift.

``tests/test_catalog.py`` fails when the file in the repository differs from ``checks_markdown()``;
``LAUNCHREADY_REGEN_GOLDEN=1`` rewrites it.
"""

from __future__ import annotations

from collections.abc import Callable

from launchready.checks.catalog import CATALOG, meta


def rule_text(rule_id: str, *, available: bool, family_doc: str | None) -> str:
    """What ``launchready checks ID`` prints: the catalog line, its summary and the owning
    family's What / Why / Fix / Pass / Fail doc."""
    m = meta(rule_id)
    state = "available" if available else "not in this release"
    parts = [f"{m.id} — {m.title} [{m.severity.value}, {m.stage.value}, {state}]", m.doc]
    if family_doc:
        parts.append(family_doc)
    if m.references:
        parts.append("\n".join(f"- {ref}" for ref in m.references))
    return "\n\n".join(parts) + "\n"


def checks_markdown(available: frozenset[str],
                    family_doc: Callable[[str], str | None]) -> str:
    """The whole check reference as Markdown; ``available`` marks the IDs this release runs."""
    lines = [
        "# Check reference",
        "",
        "Generated from `src/launchready/checks/catalog.py`; do not edit by hand.",
        "`launchready checks ID` prints one check with the doc of the family that runs it.",
        "IDs are permanent: a renamed check keeps its old ID as a redirect.",
        "",
        "| ID | severity | stage | title | in this release |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {m.id} | {m.severity.value} | {m.stage.value} | {m.title} | "
              f"{'yes' if m.id in available else 'no'} |" for m in CATALOG]
    shown: set[str] = set()
    for m in CATALOG:
        lines += ["", f"## {m.id} — {m.title}", "",
                  f"Default severity **{m.severity.value}**, stage `{m.stage.value}`, "
                  f"fix window `{m.fix_window.value}`, about {m.effort_minutes} minutes.",
                  "", m.doc]
        if m.references:
            lines += ["", *(f"- <{ref}>" for ref in m.references)]
        doc = family_doc(m.id)
        if doc and doc not in shown:
            # a family's doc covers all its IDs: shown once, under the first
            shown.add(doc)
            lines += ["", "```text", doc, "```"]
    return "\n".join(lines) + "\n"

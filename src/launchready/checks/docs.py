"""The check reference ``docs/checks.md``, generated from the catalog so the two cannot drift.

``tests/test_catalog.py`` fails when the file in the repository differs from ``checks_markdown()``;
``LAUNCHREADY_REGEN_GOLDEN=1`` rewrites it.
"""

from __future__ import annotations

from launchready.checks.catalog import CATALOG


def checks_markdown(available: frozenset[str]) -> str:
    """The whole check reference as Markdown; ``available`` marks the IDs this release runs."""
    lines = [
        "# Check reference",
        "",
        "Generated from `src/launchready/checks/catalog.py`; do not edit by hand.",
        "`launchready checks ID` prints one check's doc.",
        "IDs are permanent: a renamed check keeps its old ID as a redirect.",
        "",
        "| ID | severity | stage | title | in this release |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {m.id} | {m.severity.value} | {m.stage.value} | {m.title} | "
              f"{'yes' if m.id in available else 'no'} |" for m in CATALOG]
    for m in CATALOG:
        lines += ["", f"## {m.id} — {m.title}", "",
                  f"Default severity **{m.severity.value}**, stage `{m.stage.value}`, "
                  f"fix window `{m.fix_window.value}`, about {m.effort_minutes} minutes.",
                  "", m.doc]
        if m.references:
            lines += ["", *(f"- <{ref}>" for ref in m.references)]
    return "\n".join(lines) + "\n"

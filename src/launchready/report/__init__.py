"""Report renderers: pure functions from a ``Report`` to text, one module per format.

``render(report, fmt)`` is the single entry point the CLI uses; adding a format means adding a
``Format`` member and one module, and mypy's exhaustiveness check points at the dispatch.
Renderers never import checks and never do I/O: the caller decides where the text goes.
"""

from __future__ import annotations

import enum
from typing import assert_never

from launchready.model import Report
from launchready.report import codeclimate, html, json_out, junit, markdown, sarif, terminal

__all__ = ["Format", "render"]


class Format(enum.StrEnum):
    """Output formats accepted by ``--format`` (SPEC §2)."""

    TERMINAL = "terminal"
    MD = "md"
    HTML = "html"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    CODECLIMATE = "codeclimate"


def render(report: Report, fmt: Format, *, color: bool = False, width: int = 100,
           top: int | None = None) -> str:
    """Render ``report`` in ``fmt``; ``color``, ``width`` and ``top`` (only the N most urgent
    entries) apply to the terminal format only."""
    match fmt:
        case Format.TERMINAL:
            return terminal.render(report, color=color, width=width, top=top)
        case Format.MD:
            return markdown.render(report)
        case Format.HTML:
            return html.render(report)
        case Format.JSON:
            return json_out.render(report)
        case Format.SARIF:
            return sarif.render(report)
        case Format.JUNIT:
            return junit.render(report)
        case Format.CODECLIMATE:
            return codeclimate.render(report)
        case _:
            assert_never(fmt)

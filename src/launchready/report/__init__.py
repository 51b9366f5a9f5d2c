"""Report renderers: pure functions from a ``Report`` to text, one module per format.

``render(report, fmt)`` is the single entry point the CLI uses; adding a format means adding a
``Format`` member and one module, and mypy's exhaustiveness check points at the dispatch.
Renderers never import checks and never do I/O: the caller decides where the text goes.
Each renderer is imported when its format is asked for: ``--format json`` never loads jinja2
(HTML) or rich (terminal).
"""

from __future__ import annotations

import enum
from typing import assert_never

from launchready.model import Report

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
    # one import per case: the format asked for is the only renderer loaded
    match fmt:
        case Format.TERMINAL:
            from launchready.report import terminal  # noqa: PLC0415

            return terminal.render(report, color=color, width=width, top=top)
        case Format.MD:
            from launchready.report import markdown  # noqa: PLC0415

            return markdown.render(report)
        case Format.HTML:
            from launchready.report import html  # noqa: PLC0415

            return html.render(report)
        case Format.JSON:
            from launchready.report import json_out  # noqa: PLC0415

            return json_out.render(report)
        case Format.SARIF:
            from launchready.report import sarif  # noqa: PLC0415

            return sarif.render(report)
        case Format.JUNIT:
            from launchready.report import junit  # noqa: PLC0415

            return junit.render(report)
        case Format.CODECLIMATE:
            from launchready.report import codeclimate  # noqa: PLC0415

            return codeclimate.render(report)
        case _:
            assert_never(fmt)

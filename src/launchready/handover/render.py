"""Render a :class:`~launchready.handover.model.Handover` as Markdown or as one HTML page.

Both formats lay out the same sections (:func:`sections`), so their structure cannot drift:
headings, tables with fixed columns (an empty table gets one "—" row, so the document's shape
does not depend on what was found), bullet lists and command blocks. Markdown escapes every
value with the report's helpers; HTML goes through Jinja2 with autoescaping under the report's
Content-Security-Policy, and only http(s) URLs become links in either.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, assert_never

import jinja2

from launchready.handover.model import Handover
from launchready.model import Finding
from launchready.report import markdown as md
from launchready.report.html import CSP, safe_href
from launchready.report.json_out import iso_utc
from launchready.report.templating import environment

EMPTY = "—"


class HandoverFormat(enum.StrEnum):
    """Formats of the handover document."""

    MD = "md"
    HTML = "html"


@dataclass(frozen=True, kw_only=True)
class Para:
    """A paragraph of plain text."""

    kind: ClassVar[str] = "para"

    text: str


@dataclass(frozen=True, kw_only=True)
class Bullets:
    """A bullet list; ``label`` is shown in bold before each item's text when set."""

    kind: ClassVar[str] = "bullets"

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, kw_only=True)
class Commands:
    """Commands to paste into a shell, shown as a code block."""

    kind: ClassVar[str] = "commands"

    lines: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Grid:
    """A table; cells in ``link_columns`` become links when they are http(s) URLs."""

    kind: ClassVar[str] = "grid"

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    link_columns: frozenset[int] = frozenset()


Block = Para | Bullets | Commands | Grid


@dataclass(frozen=True, kw_only=True)
class Section:
    """A heading (level 2 or 3) and its blocks."""

    title: str
    level: int
    blocks: tuple[Block, ...] = field(default=())
    anchor: str = ""


def _grid(columns: Sequence[str], rows: Sequence[Sequence[str]],
          links: Sequence[int] = ()) -> Grid:
    shaped = tuple(tuple(row[:len(columns)]) + (EMPTY,) * (len(columns) - len(row))
                   for row in rows)
    return Grid(columns=tuple(columns), rows=shaped or ((EMPTY,) * len(columns),),
                link_columns=frozenset(links))


def _risk_grid(findings: Sequence[Finding]) -> Grid:
    rows = [(str(n), f.severity.value, f.rule_id, f.title, f.target, f.fix,
             f"{f.effort_minutes} min") for n, f in enumerate(findings, start=1)]
    return _grid(("rank", "severity", "check", "risk", "target", "fix", "effort"), rows, (4,))


def _slug(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")


def sections(h: Handover) -> tuple[Section, ...]:
    """The document's sections, in order; both renderers lay out exactly these."""
    out: list[Section] = []

    def add(title: str, level: int, *blocks: Block) -> None:
        out.append(Section(title=title, level=level, blocks=blocks, anchor=_slug(title)))

    access = h.access
    add("Access register", 2,
        Para(text="Who owns what and where the credentials are kept. This document never "
                  "contains a credential."),
        _grid(("area", "owner"), access.owners),
        Bullets(items=(
            ("Admins", ", ".join(access.admins) or "none recorded"),
            ("Credentials kept in", access.credentials_stored_in or "not recorded: add "
             "credentials_stored_in to [handover]"))))
    add("Live URLs", 2, _grid(("URL", "role", "what it serves"),
                              [(u.url, u.role, u.serves) for u in h.live_urls], (0,)))
    add("DNS record map", 2, _grid(h.record_map.columns, h.record_map.rows))
    add("Subdomain map", 2, _grid(h.subdomains.columns, h.subdomains.rows))
    add("Provider map", 2,
        Para(text="Who runs DNS, hosting/CDN and email, inferred from NS names, CNAME and "
                  "address targets, response headers, MX hosts and SPF includes."),
        _grid(("role", "for", "provider", "evidence"),
              [(c.role, c.subject, c.provider, c.evidence) for c in h.providers]))
    add("Email authentication", 2,
        _grid(("mechanism", "state", "record", "checks"),
              [(a.mechanism, a.state, a.record, a.detail) for a in h.email_auth]))
    steps = tuple(dict.fromkeys((r.provider, r.steps) for r in h.rotations))
    add("Secrets to rotate", 2,
        Para(text="Named by variable and provider; values are never shown. Rotate at the "
                  "provider first, deploy the new value, then remove the old one from code "
                  "and history."),
        _grid(("secret", "provider", "found in", "checks"),
              [(r.name, r.provider, ", ".join(r.found), ", ".join(r.rules))
               for r in h.rotations]))
    add("Rotation steps", 3, Bullets(items=steps or (("Nothing to rotate",
                                                      "no exposed secret in this run"),)))
    mon = h.monitoring
    add("Monitoring", 2,
        Bullets(items=(
            ("Status page", mon.status_page or "not configured"),
            ("Metrics", mon.metrics or "not configured"),
            ("Health", mon.health or "not configured"),
            ("Worst-case time to alert", mon.time_to_alert
             + ("" if mon.time_to_alert_ok is not False else " — over budget")),
            ("Alert routes", ", ".join(mon.alert_routes) or "none"),
        )),
        _grid(("check", "target", "expect", "owner"),
              [(c.name, c.target, c.expect, c.owner) for c in mon.checks], (1,)))
    add("Risks", 2, Para(text=f"Launch score {h.score}/100. The 48-hour plan first, in rank "
                              "order; then what can wait until after the launch."))
    add("48-hour plan", 3, _risk_grid(h.plan_48h))
    add("What can wait", 3, _risk_grid(h.later))
    add("Runbook", 2, Para(text="What to do if something breaks during the demo or after "
                                "handover: first checks, then commands."))
    for entry in h.runbook:
        add(entry.title, 3, Bullets(items=tuple(("", c) for c in entry.first_checks)),
            Commands(lines=entry.commands))
    add("Expiry calendar", 2, _grid(("item", "subject", "when", "note"),
                                    [(c.item, c.subject, c.when, c.note) for c in h.calendar]))
    add("About this document", 2,
        Bullets(items=(
            ("Generated", f"{iso_utc(h.generated_at)} by launchready {h.tool_version}"),
            *(("Note", n) for n in h.notes))),
        Para(text="To refresh it after fixing things:"),
        Commands(lines=("launchready audit", "launchready handover -o HANDOVER.md")))
    return tuple(out)


def _title(h: Handover) -> str:
    return f"Handover — {h.app_name}"


def _subtitle(h: Handover) -> str:
    parts = [f"domain {h.domain}" if h.domain else "no domain configured"]
    if h.canonical:
        parts.append(f"canonical {h.canonical}")
    parts.append(f"launch score {h.score}/100")
    if h.incomplete:
        parts.append(h.incomplete)
    return " · ".join(parts)


# --- Markdown ------------------------------------------------------------------------------

def _md_cell(value: str, linked: bool) -> str:
    return md.link(value) if linked else md.text(value)


def _md_block(block: Block) -> list[str]:
    match block:
        case Para(text=text):
            return [md.text(text), ""]
        case Bullets(items=items):
            return [(f"- **{md.text(label)}:** " if label else "- ") + md.text(value)
                    for label, value in items] + [""]
        case Commands(lines=lines):
            return [*md.block("\n".join(lines)), ""]
        case Grid(columns=columns, rows=rows, link_columns=links):
            out = ["| " + " | ".join(md.text(c) for c in columns) + " |",
                   "|" + "---|" * len(columns)]
            out += ["| " + " | ".join(_md_cell(v, i in links) for i, v in enumerate(row))
                    + " |" for row in rows]
            return [*out, ""]
        case _:
            assert_never(block)


def render_markdown(h: Handover) -> str:
    """The handover document as Markdown ending in a newline."""
    lines = [f"# {md.text(_title(h))}", "", md.text(_subtitle(h)), ""]
    for section in sections(h):
        lines += [f"{'#' * section.level} {md.text(section.title)}", ""]
        for block in section.blocks:
            lines += _md_block(block)
    return "\n".join(lines).rstrip("\n") + "\n"


# --- HTML ----------------------------------------------------------------------------------

@functools.cache
def _environment() -> jinja2.Environment:
    env = environment("launchready.handover")
    env.filters["href"] = safe_href
    return env


def render_html(h: Handover) -> str:
    """The handover document as one self-contained HTML page (no script, no fetches)."""
    return _environment().get_template("handover.html.j2").render(
        csp=CSP, title=_title(h), subtitle=_subtitle(h), sections=sections(h),
        tool_version=h.tool_version)


def render_handover(h: Handover, fmt: HandoverFormat = HandoverFormat.MD) -> str:
    """Render ``h`` in ``fmt``."""
    match fmt:
        case HandoverFormat.MD:
            return render_markdown(h)
        case HandoverFormat.HTML:
            return render_html(h)
        case _:
            assert_never(fmt)

"""``launchready email spf DOMAIN IP``: print the RFC 7208 result and its lookup tree.

Exit codes: 0 when SPF could be evaluated (whatever the result), 1 for permerror (the
published record is broken), 3 for temperror (DNS could not answer), 2 for a bad IP argument.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from launchready.email.spf import SpfNode, SpfResult, SpfStatus, check_host
from launchready.errors import UsageError
from launchready.probes.dns import DnsProbe
from launchready.report.text import visible


def _tree_lines(node: SpfNode, depth: int = 0) -> list[str]:
    pad = "  " * depth
    head = (f"{pad}{node.domain}: {node.record or '(no SPF record)'}  "
            f"[{node.dns_lookups} lookups, {node.void_lookups} void]")
    lines = [head]
    if node.problem:
        lines.append(f"{pad}  ! {node.problem}")
    for term in node.terms:
        if term.child is not None:
            lines.extend(_tree_lines(term.child, depth + 1))
    return lines


def render_text(result: SpfResult) -> str:
    """Human-readable result with the include tree; DNS text has its control bytes escaped."""
    out = [f"SPF {result.result.value} for {result.ip} sending as {result.sender}",
           f"DNS lookups: {result.dns_lookups}/10, void lookups: {result.void_lookups}/2"]
    if result.problem:
        out.append(f"problem: {result.problem}")
    if result.explanation:
        out.append(f"explanation: {result.explanation}")
    out.append("")
    out.extend(_tree_lines(result.tree))
    return visible("\n".join(out)) + "\n"


def spf_command(args: argparse.Namespace) -> int:
    """Run check_host() through the configured (or system) resolver and print the result."""
    probe = DnsProbe(resolver=args.resolver, timeout=args.timeout or 5.0)
    try:
        result = asyncio.run(check_host(args.ip, args.domain, args.sender, resolver=probe,
                                        helo=args.helo))
    except ValueError as exc:
        raise UsageError(f"email spf: {exc}") from None
    if "json" in args.formats:
        sys.stdout.write(json.dumps(result.to_json_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(result))
    if result.result is SpfStatus.PERMERROR:
        return 1
    if result.result is SpfStatus.TEMPERROR:
        return 3
    return 0

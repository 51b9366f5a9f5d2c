"""DNS006 — does the app hostname resolve to production?

What: the canonical host (``[app] canonical``) is followed through its CNAME chain to its
addresses, through the configured resolver, and compared with production as the record map
describes it: the A/AAAA values of the host's own map entry, or — when the map gives it a
CNAME — the addresses of that target (from the map if it lists them, else resolved live). It
fails when the host resolves to any other address (critical); a chain that passes through the
expected target is production by definition. Timeouts and SERVFAIL are "could not check
(temperror)"; a host that does not resolve at all is DNS001/DNS002's finding, not this one.

Why: after a rehearsal the app name is often left pointing at staging or a preview deploy:
buyers then log in to a database of test data, or to a build with debug pages on.

Fix: point the record back at production, e.g. ``app.acme.example. 300 IN CNAME
acme-prod.fly.dev.`` (or its A record at the production address) at the DNS provider.

Pass: the map has ``app CNAME acme-prod.fly.dev.`` and app resolves through it. Fail: app is
``CNAME acme-staging.fly.dev.`` and resolves to the staging address.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.dns.lookup import (
    TEMPERROR,
    Budget,
    BudgetedLookup,
    Resolution,
    dns_budget,
    norm_address,
    norm_name,
    record_fqdn,
    resolve,
    temp_reason,
)
from launchready.config.models import Config
from launchready.errors import ConfigError
from launchready.model import Table

_NON_PROD = re.compile(r"(?:^|-)(staging|stage|stg|preview|dev|test|qa|uat|sandbox)(?:$|[\d-])")


@dataclass(frozen=True, kw_only=True)
class Expectation:
    """Production as the map describes it for the host."""

    host: str
    addresses: tuple[str, ...] = ()  # A/AAAA values listed in the map
    targets: tuple[str, ...] = ()  # CNAME targets listed in the map


def expectation(config: Config) -> Expectation | None:
    """What the map says the canonical host should resolve to, if it says anything."""
    if not config.app.canonical or config.dns is None:
        return None
    host = urlsplit(config.app.canonical).hostname
    if not host:
        return None
    host = norm_name(host)
    domain = config.app.domain
    addresses: list[str] = []
    targets: list[str] = []
    pending = [host]
    seen: set[str] = set()
    # follow CNAMEs inside the map: a target the map lists with A/AAAA gives its addresses
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for record in config.dns.records:
            if record_fqdn(record.name, domain) != name:
                continue
            if record.type in ("A", "AAAA"):
                addresses += [norm_address(v) for v in record.values]
            elif record.type == "CNAME":
                found = [record_fqdn("@", domain) if v.strip() == "@" else norm_name(v)
                         for v in record.values]
                targets += found
                pending += found
    if not addresses and not targets:
        return None
    return Expectation(host=host, addresses=tuple(dict.fromkeys(addresses)),
                       targets=tuple(dict.fromkeys(targets)))


@dataclass(frozen=True, kw_only=True)
class EnvironmentObservation:
    """The live walk of the host, and live walks of the expected targets."""

    expected: Expectation
    live: Resolution
    targets: tuple[Resolution, ...] = ()


def _hint(names: Sequence[str]) -> str:
    # label by label, leaving out the top-level label (".test" is a TLD, not an environment)
    flagged = [n for n in names if any(_NON_PROD.search(label) for label in n.split(".")[:-1])]
    return f" ({', '.join(flagged)} looks like a non-production environment)" if flagged else ""


def evaluate_environment(obs: EnvironmentObservation) -> Outcome:
    """DNS006 for the canonical host."""
    exp, live = obs.expected, obs.live
    if live.temporary is not None:
        return Outcome(errors={"DNS006": f"{TEMPERROR}: {temp_reason(live.temporary)}"})
    expected = set(exp.addresses)
    for target in obs.targets:
        if target.temporary is not None and not expected:
            return Outcome(errors={"DNS006": f"{TEMPERROR}: expected target "
                                             f"{temp_reason(target.temporary)}"})
        expected.update(target.addresses)
    through_target = any(t in live.chain for t in exp.targets)
    got = live.addresses
    unexpected = [a for a in got if a not in expected]
    rows = ((exp.host, live.path(), ", ".join(got) or "-",
             ", ".join(sorted(expected)) or ", ".join(exp.targets) or "-"),)
    table = Table(title="App hostname", columns=("host", "chain", "live addresses",
                                                 "production"), rows=rows)
    if through_target or not got or not unexpected:
        return Outcome(tables=(table,))
    wanted = ", ".join(sorted(expected)) or "(the target does not resolve)"
    if exp.targets:
        record = f"`{exp.host}. 300 IN CNAME {exp.targets[0]}.`"
    else:
        record = "; ".join(f"`{exp.host}. 300 IN {'AAAA' if ':' in a else 'A'} {a}`"
                           for a in exp.addresses)
    finding = make_finding(
        meta("DNS006"), target=f"{exp.host} A", identity="other-environment",
        evidence=(f"{live.path()} resolves to {', '.join(got)}; production is {wanted}"
                  + (f" via {', '.join(exp.targets)}" if exp.targets else "")
                  + _hint(live.chain)),
        impact=(f"Buyers opening {exp.host} reach another deployment (e.g. staging) with "
                "other data and settings, not the production app."),
        fix=f"At the DNS provider, point {exp.host} back at production: {record}.")
    return Outcome(findings=(finding,), tables=(table,))


class EnvironmentChecks(CheckFamily[EnvironmentObservation]):
    """DNS006: the canonical host resolves to the production addresses."""

    rule_ids = ("DNS006",)

    def __init__(self, *, budget: float | None = None) -> None:
        self.budget = budget

    def skip_reason(self, ctx: Context) -> str | None:
        if expectation(ctx.config) is None:
            return ("the record map gives no A, AAAA or CNAME for the [app] canonical host "
                    "(add one to [[dns.records]])")
        return None

    async def gather(self, ctx: Context) -> EnvironmentObservation:
        exp = expectation(ctx.config)
        if exp is None:  # skip_reason said why; only a direct caller gets here
            raise ConfigError("no A, AAAA or CNAME for the canonical host in the map",
                              key="dns.records")
        lookup = BudgetedLookup(ctx.probes.dns, Budget(self.budget or dns_budget(ctx.timeout)),
                                label="resolver")
        live, *targets = await asyncio.gather(
            resolve(lookup, exp.host),
            *(resolve(lookup, t) for t in exp.targets if not exp.addresses))
        return EnvironmentObservation(expected=exp, live=live, targets=tuple(targets))

    def evaluate(self, obs: EnvironmentObservation, ctx: Context) -> Outcome:
        return evaluate_environment(obs)

"""The live record map of a domain: what ``launchready dns map`` prints and the handover reuses.

:func:`gather_record_map` asks the questions (the apex's A, AAAA, CNAME, MX, TXT, NS and CAA,
every name of ``[[dns.records]]``, ``_dmarc`` and the usual subdomains); :func:`build_record_map`
is a pure function of the answers that lays them out as a :class:`~launchready.model.Table`,
one row per live value, naming the operator behind NS, CNAME and MX values (the "provider map"
of the handover document) and whether the row is in the expected map. A name that timed out is
shown as "could not check (temperror)", never as absent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from launchready.checks.dns.hosting_targets import hosting_target
from launchready.checks.dns.lookup import TEMPERROR, DnsLookup, norm_name
from launchready.checks.dns.provider import operator_of
from launchready.checks.dns.records import ExpectedRecord, live_values, normalise
from launchready.checks.dns.takeover import COMMON_SUBDOMAINS
from launchready.model import Table
from launchready.probes.dns import DnsAnswer, DnsStatus

APEX_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS", "CAA")
NAME_TYPES = ("A", "AAAA", "CNAME", "TXT")
GUESS_TYPES = ("A", "AAAA", "CNAME")
COLUMNS = ("name", "type", "ttl", "value", "operator", "in map")

#: mail hosts recognised from MX targets (suffix, operator)
MAIL_OPERATORS: tuple[tuple[str, str], ...] = (
    ("google.com", "Google Workspace"),
    ("googlemail.com", "Google Workspace"),
    ("mail.protection.outlook.com", "Microsoft 365"),
    ("zoho.com", "Zoho Mail"), ("zoho.eu", "Zoho Mail"),
    ("messagingengine.com", "Fastmail"),
    ("protonmail.ch", "Proton Mail"),
    ("mailgun.org", "Mailgun"),
    ("sendgrid.net", "SendGrid"),
    ("amazonaws.com", "Amazon SES"),
    ("improvmx.com", "ImprovMX"),
)


def questions(domain: str | None, expected: Sequence[ExpectedRecord]
              ) -> tuple[tuple[str, str], ...]:
    """Every (name, type) the map asks, apex first."""
    keys: list[tuple[str, str]] = []
    if domain:
        apex = norm_name(domain)
        keys += [(apex, t) for t in APEX_TYPES]
        keys.append((f"_dmarc.{apex}", "TXT"))
    for record in expected:
        keys += [(record.name, t) for t in (*NAME_TYPES, record.rdtype)]
    if domain:
        keys += [(f"{s}.{norm_name(domain)}", t) for s in COMMON_SUBDOMAINS for t in GUESS_TYPES]
    return tuple(dict.fromkeys(keys))


async def gather_record_map(lookup: DnsLookup, domain: str | None,
                            expected: Sequence[ExpectedRecord]
                            ) -> dict[tuple[str, str], DnsAnswer]:
    """Ask every question of :func:`questions` through ``lookup``."""
    keys = questions(domain, expected)
    answers = await asyncio.gather(*(lookup.query(n, t) for n, t in keys))
    return dict(zip(keys, answers, strict=True))


def _operator(rdtype: str, value: str) -> str:
    if rdtype == "NS":
        op = operator_of(value)
        return op.name if op else ""
    if rdtype == "CNAME":
        found = hosting_target([value])
        return found[0].provider if found else ""
    if rdtype == "MX":
        host = norm_name(value.rsplit(maxsplit=1)[-1])
        return next((name for suffix, name in MAIL_OPERATORS
                     if host == suffix or host.endswith("." + suffix)), "")
    return ""


def _sort_key(domain: str, name: str) -> tuple[int, str]:
    return (0 if name == domain else 1, name)


def build_record_map(answers: Mapping[tuple[str, str], DnsAnswer], *,
                     domain: str | None = None,
                     expected: Sequence[ExpectedRecord] = ()) -> Table:
    """The live record map as a table; pure, so the handover document can reuse it."""
    apex = norm_name(domain) if domain else ""
    wanted: dict[tuple[str, str], set[str]] = {}
    for record in expected:
        wanted.setdefault((record.name, record.rdtype), set()).update(
            normalise(record.rdtype, v, domain=domain) for v in record.values)
    rows: list[tuple[tuple[int, str], int, tuple[str, ...]]] = []
    order = {t: i for i, t in enumerate((*APEX_TYPES, "SRV"))}
    keys = list(dict.fromkeys([*answers, *wanted]))
    for name, rdtype in keys:
        answer = answers.get((name, rdtype))
        mapped = wanted.get((name, rdtype))
        key = (_sort_key(apex, name), order.get(rdtype, 99))
        if answer is None:
            rows.append((*key, (name, rdtype, "-", "(not looked up)", "", "yes")))
            continue
        if answer.status.is_temporary:
            rows.append((*key, (name, rdtype, "-", f"{TEMPERROR}: {answer.status.value}", "",
                                "yes" if mapped else "")))
            continue
        if answer.cname_chain and rdtype != "CNAME":
            continue  # the name is an alias: its CNAME row says where it points
        if answer.status is not DnsStatus.OK:
            if mapped:
                rows.append((*key, (name, rdtype, "-", "(not published)", "", "missing")))
            continue
        ttl = str(answer.ttl) if answer.ttl is not None else "-"
        for shown, value in zip(answer.records, live_values(answer, domain=domain),
                                strict=False):
            text = value if rdtype == "TXT" else norm_name(shown) if rdtype in (
                "CNAME", "NS") else shown
            if mapped is None:
                in_map = ""
            elif rdtype == "MX" and value.split()[-1] in {m.split()[-1] for m in mapped}:
                in_map = "yes"
            else:
                in_map = "yes" if value in mapped else "no"
            rows.append((*key, (name, rdtype, ttl, text, _operator(rdtype, shown), in_map)))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return Table(title=f"DNS record map of {apex}" if apex else "DNS record map",
                 columns=COLUMNS, rows=tuple(r[2] for r in rows))

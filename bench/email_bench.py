"""Benchmark: ``launchready email`` over 20 test domains beside checkdmarc, one local DNS server.

Run: ``.venv/bin/python bench/email_bench.py`` (checkdmarc must be importable, e.g.
``pip install --target /tmp/cdm checkdmarc`` then ``PYTHONPATH=/tmp/cdm``; the script says so
when it is not). Both tools query the same in-process authoritative server on 127.0.0.1
(launchready through ``[network] resolver``, checkdmarc through its ``nameservers`` option),
each over the same 20 domains, several rounds; it prints both times, the ratio, and a table of
the domains where the two SPF lookup counts disagree, with the count RFC 7208 gives.

The RFC column is written by hand per domain (§4.6.4: include, a, mx, ptr, exists and redirect
each count one when evaluated; terms after ``all`` are never evaluated, §5.1; ``redirect`` is
ignored when the record has ``all``, §6.1; an ``mx`` costs one lookup however many MX names it
returns, beyond 10 names it is a permerror).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from typing import Any

from launchready.checks.mail import DkimChecks, mail_families
from launchready.checks.mail.spf_lint import gather_graph, walk
from launchready.config.models import Config
from launchready.demo.dnsserver import ZoneServer
from launchready.engine import arun_audit
from launchready.probes.dns import DnsProbe

ROUNDS = 5
TEN_A = " ".join(f"a:h{i}.bench" for i in range(10))

#: domain -> (SPF record, lookups per RFC 7208 §4.6.4, note)
DOMAINS: dict[str, tuple[str, int | None, str]] = {
    "b01.bench": ("v=spf1 -all", 0, ""),
    "b02.bench": ("v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 -all", 0, "ip4/ip6 not counted"),
    "b03.bench": ("v=spf1 a mx -all", 2, ""),
    "b04.bench": ("v=spf1 include:p1.bench -all", 1, ""),
    "b05.bench": ("v=spf1 include:p1.bench include:p2.bench -all", 3, "nested include"),
    "b06.bench": (f"v=spf1 {TEN_A} -all", 10, "exactly at the limit"),
    "b07.bench": (f"v=spf1 {TEN_A} a:h10.bench -all", 11, "one over"),
    "b08.bench": ("v=spf1 mx:three.bench -all", 1, "mx = 1 lookup, not 1 + 3"),
    "b09.bench": ("v=spf1 redirect=p1.bench", 1, ""),
    "b10.bench": ("v=spf1 include:p1.bench -all redirect=p2.bench", 1,
                  "redirect ignored with all (§6.1)"),
    "b11.bench": ("v=spf1 -all include:p1.bench", 0, "terms after all never run (§5.1)"),
    "b12.bench": ("v=spf1 a:gone1.bench a:gone2.bench -all", 2, "2 void: ok"),
    "b13.bench": ("v=spf1 a:gone1.bench a:gone2.bench a:gone3.bench -all", 3, "3 void: permerror"),
    "b14.bench": ("v=spf1 exists:%{i}.e.bench -all", 1, "macro target"),
    "b15.bench": ("v=spf1 ptr -all", 1, ""),
    "b16.bench": ("v=spf1 include:p4.bench -all", 3, "include with a and mx inside"),
    "b17.bench": ("v=spf1 include:p5.bench include:p6.bench -all", 4,
                  "diamond: p1 evaluated twice"),
    "b18.bench": ("v=spf1 redirect=p4.bench", 3, ""),
    "b19.bench": ("v=spf1 include:loop1.bench -all", None, "include loop: permerror"),
    "b20.bench": ("v=spf1 mx:many.bench -all", 1, "11 MX names: permerror"),
}


def zone() -> dict[str, list[tuple[str, object]]]:
    """The benchmark zone: the 20 domains plus what they include."""
    records: dict[str, list[tuple[str, object]]] = {
        "p1.bench": [("TXT", "v=spf1 ip4:192.0.2.0/24 -all")],
        "p2.bench": [("TXT", "v=spf1 include:p3.bench -all")],
        "p3.bench": [("TXT", "v=spf1 ip4:198.51.100.0/24 -all")],
        "p4.bench": [("TXT", "v=spf1 a mx -all"), ("A", "192.0.2.4"), ("MX", "10 p1.bench.")],
        "p5.bench": [("TXT", "v=spf1 include:p1.bench -all")],
        "p6.bench": [("TXT", "v=spf1 include:p1.bench -all")],
        "loop1.bench": [("TXT", "v=spf1 include:loop2.bench -all")],
        "loop2.bench": [("TXT", "v=spf1 include:loop1.bench -all")],
        "three.bench": [("MX", f"{i} m{i}.bench.") for i in range(3)],
        "many.bench": [("MX", f"{i} m{i}.bench.") for i in range(11)],
    }
    for i in range(11):
        records[f"h{i}.bench"] = [("A", "192.0.2.1")]
        records[f"m{i}.bench"] = [("A", "192.0.2.2")]
    for name, (spf, _, _) in DOMAINS.items():
        records[name] = [("TXT", spf), ("A", "192.0.2.9"), ("MX", "10 m0.bench."),
                         ("NS", "ns.bench.")]
        records[f"_dmarc.{name}"] = [("TXT", f"v=DMARC1; p=reject; rua=mailto:d@{name}")]
    return records


def _config(resolver: str) -> Config:
    return Config.model_validate({"network": {"resolver": resolver, "timeout": 2},
                                  "email": {"domains": list(DOMAINS)}})


async def _launchready(resolver: str, *, dkim: bool = True) -> float:
    families = [f for f in mail_families() if dkim or not isinstance(f, DkimChecks)]
    started = time.perf_counter()
    await arun_audit(_config(resolver), families=families)
    return time.perf_counter() - started


async def _our_counts(resolver: str) -> dict[str, int | str]:
    probe = DnsProbe(resolver=resolver, timeout=2)
    out: dict[str, int | str] = {}
    for name in DOMAINS:
        result = walk(await gather_graph(probe, name))
        kinds = {p.kind for p in result.problems}
        out[name] = "permerror (loop)" if "loop" in kinds else result.lookups
    return out


def _checkdmarc(host: str, port: int) -> tuple[Any, Any] | None:
    try:
        import checkdmarc  # noqa: PLC0415 - optional, only for this comparison
        import dns.nameserver  # noqa: PLC0415
    except ImportError:
        return None
    return checkdmarc, [dns.nameserver.Do53Nameserver(host, port)]


def _their_counts(lib: Any, nameservers: Any) -> dict[str, int | str]:
    out: dict[str, int | str] = {}
    for name in DOMAINS:
        try:
            result = lib.spf.check_spf(name, nameservers=nameservers, timeout=2.0)
        except Exception as exc:
            out[name] = f"error: {type(exc).__name__}"
            continue
        data = result if isinstance(result, dict) else getattr(result, "__dict__", {})
        if data.get("valid") is False and "dns_lookups" not in data:
            out[name] = f"error: {str(data.get('error', ''))[:60]}"
        else:
            out[name] = int(data.get("dns_lookups", -1))
    return out


def main() -> int:
    """Run the comparison and print the results."""
    with ZoneServer(zone()).serve_in_thread() as (host, port):
        resolver = f"{host}:{port}"
        ours = [asyncio.run(_launchready(resolver)) for _ in range(ROUNDS)]
        # checkdmarc has no DKIM checks; without them both tools do comparable work
        ours_no_dkim = [asyncio.run(_launchready(resolver, dkim=False)) for _ in range(ROUNDS)]
        our_counts = asyncio.run(_our_counts(resolver))
        found = _checkdmarc(host, port)
        theirs: list[float] = []
        their_counts: dict[str, int | str] = {}
        if found is not None:
            lib, nameservers = found
            for _ in range(ROUNDS):
                started = time.perf_counter()
                lib.check_domains(list(DOMAINS), nameservers=nameservers, timeout=2.0)
                theirs.append(time.perf_counter() - started)
            their_counts = _their_counts(lib, nameservers)
    ours_median = statistics.median(ours)
    no_dkim_median = statistics.median(ours_no_dkim)
    print(f"launchready email, 20 domains (MAIL001-012, 014; DKIM tries 24 common selectors "
          f"per domain): median {ours_median:.3f} s over {ROUNDS} rounds")
    print(f"launchready email without DKIM (the scope checkdmarc covers): median "
          f"{no_dkim_median:.3f} s")
    if found is None:
        print("checkdmarc is not importable: install it (pip install checkdmarc) to compare")
        return 0
    theirs_median = statistics.median(theirs)
    print(f"checkdmarc check_domains, same 20 domains: median {theirs_median:.3f} s")
    print(f"ratio launchready / checkdmarc: {ours_median / theirs_median:.2f} (all checks), "
          f"{no_dkim_median / theirs_median:.2f} (without DKIM)")
    print("\nSPF DNS lookup counts where the tools disagree (RFC = RFC 7208 §4.6.4):")
    print(f"{'domain':<11} {'launchready':>16} {'checkdmarc':>34} {'RFC':>16}  right  note")
    for name, (_, expected, note) in DOMAINS.items():
        a, b = our_counts[name], their_counts.get(name, "?")
        if a == b:
            continue
        rfc = expected if expected is not None else "permerror (loop)"
        right = ", ".join(t for t, v in (("launchready", a), ("checkdmarc", b)) if v == rfc)
        if str(b).startswith("error") and "permerror" in note:
            right = f"{right or 'neither'} (checkdmarc flags the permerror, gives no count)"
        shown = str(b)[:34]
        print(f"{name:<11} {a!s:>16} {shown:>34} {rfc!s:>16}  {right or 'neither'}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

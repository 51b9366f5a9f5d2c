"""DNS checks DNS001–DNS006: live DNS against the expected map, apex, dangling CNAMEs,
nameserver provider, CAA and the app hostname's environment.

Each rule is its own family (so each has its own skip reason) and asks through its own
per-domain :class:`~launchready.checks.dns.lookup.BudgetedLookup`; the families run
concurrently, so the DNS time of a run is bounded by one budget (``lookup.dns_budget``).
Temporary DNS failures are "could not check (temperror)" (``Outcome.errors``), never findings.
"""

from __future__ import annotations

from launchready.checks.dns.apex import ApexChecks
from launchready.checks.dns.caa import CaaChecks
from launchready.checks.dns.environment import EnvironmentChecks
from launchready.checks.dns.provider import ProviderChecks
from launchready.checks.dns.recordmap import build_record_map, gather_record_map
from launchready.checks.dns.records import RecordChecks
from launchready.checks.dns.takeover import TakeoverChecks

__all__ = [
    "ApexChecks",
    "CaaChecks",
    "EnvironmentChecks",
    "ProviderChecks",
    "RecordChecks",
    "TakeoverChecks",
    "build_record_map",
    "gather_record_map",
]


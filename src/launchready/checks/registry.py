"""The one explicit table of built-in check families (each covers catalog IDs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from launchready.checks.base import CheckFamily
from launchready.checks.db.queries import DatabaseChecks
from launchready.checks.secrets.config_literals import ConfigLiteralCredentials
from launchready.checks.tls.certificate import CertificateChecks

FAMILIES: tuple[Callable[[], CheckFamily[Any]], ...] = (
    CertificateChecks,
    ConfigLiteralCredentials,
    DatabaseChecks,
)


def implemented_ids() -> frozenset[str]:
    """Catalog IDs some built-in family can produce."""
    return frozenset(rid for make in FAMILIES for rid in make().rule_ids)


def network_ids() -> frozenset[str]:
    """Catalog IDs whose family needs the network."""
    return frozenset(rid for make in FAMILIES for rid in make().rule_ids if make().network)

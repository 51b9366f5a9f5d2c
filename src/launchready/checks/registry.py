"""The one explicit table of built-in check families (each covers catalog IDs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from launchready.checks.base import CheckFamily
from launchready.checks.db.queries import DatabaseChecks
from launchready.checks.dns import (
    ApexChecks,
    CaaChecks,
    EnvironmentChecks,
    ProviderChecks,
    RecordChecks,
    TakeoverChecks,
)
from launchready.checks.env.contract import EnvContractChecks
from launchready.checks.env.timeouts import OutboundTimeoutChecks
from launchready.checks.mail import (
    DkimChecks,
    DmarcChecks,
    MessageVerification,
    MtaStsChecks,
    MxChecks,
    SpfChecks,
)
from launchready.checks.obs import AlertDeliveryChecks, HealthEndpointChecks, MonitorCoverageChecks
from launchready.checks.perf.latency import PerfChecks
from launchready.checks.secrets.bundle import BundleSecrets
from launchready.checks.secrets.config_literals import ConfigLiteralCredentials
from launchready.checks.secrets.logs import LogSecrets
from launchready.checks.secrets.repo import RepoSecrets
from launchready.checks.smoke.flow import SmokeChecks
from launchready.checks.tls.certificate import CertificateChecks
from launchready.checks.web.caching import AssetCachingChecks, AuthCachingChecks
from launchready.checks.web.cookies import CookieChecks
from launchready.checks.web.cors import CorsChecks
from launchready.checks.web.errors import ErrorPageChecks
from launchready.checks.web.exposure import ExposureChecks
from launchready.checks.web.headers import HeaderChecks
from launchready.checks.web.matrix import RedirectMatrix
from launchready.checks.web.protocols import ProtocolVersions

FAMILIES: tuple[Callable[[], CheckFamily[Any]], ...] = (
    CertificateChecks,
    ProtocolVersions,
    RedirectMatrix,
    HeaderChecks,
    AssetCachingChecks,
    AuthCachingChecks,
    CookieChecks,
    CorsChecks,
    ErrorPageChecks,
    ExposureChecks,
    RepoSecrets,
    BundleSecrets,
    LogSecrets,
    ConfigLiteralCredentials,
    RecordChecks,
    ApexChecks,
    TakeoverChecks,
    ProviderChecks,
    CaaChecks,
    EnvironmentChecks,
    SmokeChecks,
    PerfChecks,
    HealthEndpointChecks,
    MonitorCoverageChecks,
    AlertDeliveryChecks,
    EnvContractChecks,
    OutboundTimeoutChecks,
    SpfChecks,
    DkimChecks,
    DmarcChecks,
    MxChecks,
    MtaStsChecks,
    MessageVerification,
    DatabaseChecks,
)


def implemented_ids() -> frozenset[str]:
    """Catalog IDs some built-in family can produce."""
    return frozenset(rid for make in FAMILIES for rid in make().rule_ids)


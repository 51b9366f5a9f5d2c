"""OBS — reliability and observability: health endpoint, monitor coverage, alert timing and
alert-route delivery."""

from launchready.checks.obs.alerts import AlertDeliveryChecks
from launchready.checks.obs.coverage import MonitorCoverageChecks
from launchready.checks.obs.health import HealthEndpointChecks

__all__ = ["AlertDeliveryChecks", "HealthEndpointChecks", "MonitorCoverageChecks"]

"""DEPLOY — production deployment safety: the clean build and the way back."""

from launchready.checks.deploy.build import CleanBuildChecks
from launchready.checks.deploy.rollback import RollbackChecks

__all__ = ["CleanBuildChecks", "RollbackChecks"]

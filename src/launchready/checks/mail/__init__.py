"""MAIL001–MAIL014: SPF, DKIM, DMARC, MX, MTA-STS/TLS-RPT and real-message verification."""

from __future__ import annotations

from launchready.checks.mail.dkim import DkimChecks
from launchready.checks.mail.dmarc import DmarcChecks
from launchready.checks.mail.mta_sts import MtaStsChecks
from launchready.checks.mail.mx import MxChecks
from launchready.checks.mail.spf_lint import SpfChecks
from launchready.checks.mail.verify import MessageVerification

__all__ = ["DkimChecks", "DmarcChecks", "MessageVerification", "MtaStsChecks", "MxChecks",
           "SpfChecks"]


"""The handover document: what a founder gives the customer's IT or an incoming engineer.

``build_handover(report, config, live=...)`` turns an audit report, the config and (from the
``handover`` command) a few live lookups into a :class:`Handover`; ``render_handover`` writes
it as Markdown or HTML. Provider inference lives in :mod:`launchready.handover.providers`.
"""

from __future__ import annotations

from launchready.handover.gather import build_handover
from launchready.handover.live import gather_live
from launchready.handover.model import Handover, LiveFacts
from launchready.handover.render import HandoverFormat, render_handover

__all__ = ["Handover", "HandoverFormat", "LiveFacts", "build_handover", "gather_live",
           "render_handover"]

"""``launchready init``: detect the project and the live site, write a commented config."""

from __future__ import annotations

from launchready.init.detect import ProjectFacts, detect_project
from launchready.init.live import LiveSite, probe_site
from launchready.init.writer import InitOptions, render_config

__all__ = ["InitOptions", "LiveSite", "ProjectFacts", "detect_project", "probe_site",
           "render_config"]

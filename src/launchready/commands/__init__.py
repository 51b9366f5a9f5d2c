"""CLI commands beyond audit/web/checks/demo: one module each, wired in ``launchready.cli``."""

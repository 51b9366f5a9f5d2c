"""The config model of one browser step (``[[smoke.browser]]``), kept apart from the runner.

Each step does exactly one thing:

================================  ==========================================================
step                              what it does
================================  ==========================================================
``goto = "/login"``               open a path under ``base_url`` (or a full http(s) URL)
``fill = "#password"``            type ``value`` into the field the CSS selector finds
``click = "button[type=submit]"`` click the element
``expect_text = "Acme Corp"``     wait until the page shows this text
``expect_url = "/dashboard"``     wait until the page URL contains this
================================  ==========================================================

``name``, ``login``/``logout`` (as for HTTP steps) and ``timeout`` (seconds) are optional.
This module imports neither Playwright nor the config package, so the config models can use it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ACTIONS", "BrowserStep"]

ACTIONS = ("goto", "fill", "click", "expect_text", "expect_url")
Action = Literal["goto", "fill", "click", "expect_text", "expect_url"]


class BrowserStep(BaseModel):
    """One browser action; exactly one of the action keys is set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, min_length=1)
    goto: str | None = None
    fill: str | None = None
    value: str | None = Field(default=None, repr=False)  # typed text: never shown
    click: str | None = None
    expect_text: str | None = None
    expect_url: str | None = None
    login: bool | None = None
    logout: bool | None = None
    timeout: float | None = Field(default=None, gt=0, le=120)

    @model_validator(mode="after")
    def _one_action(self) -> BrowserStep:
        set_actions = [a for a in ACTIONS if getattr(self, a) is not None]
        if len(set_actions) != 1:
            raise ValueError(f"a browser step does exactly one of {', '.join(ACTIONS)}; "
                             f"got {', '.join(set_actions) or 'none'}")
        if (self.fill is None) != (self.value is None):
            raise ValueError("value goes with fill, and fill needs a value")
        if self.goto is not None and not (self.goto.startswith("/")
                                          or re.match(r"^https?://", self.goto, re.I)):
            raise ValueError(f"goto takes a path such as /login or an http(s) URL, "
                             f"got {self.goto!r}")
        if self.login and self.logout:
            raise ValueError("a step cannot be both the login and the logout")
        return self

    @property
    def action(self) -> Action:
        """Which action this step performs."""
        for action in ACTIONS:
            if getattr(self, action) is not None:
                return action  # type: ignore[return-value]
        raise AssertionError("validated to have one action")

    @property
    def argument(self) -> str:
        """The action's argument: a path, a selector, a text or a URL part."""
        value: Any = getattr(self, self.action)
        return str(value)

    @property
    def label(self) -> str:
        """The step's name, or ``action argument``."""
        return self.name or f"{self.action} {self.argument}"

"""Taking a capture's value from a smoke step's response (the capture language:
:mod:`launchready.config.captures`). :func:`extract` is pure and never raises: a value that is
not there is ``None``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import CookieError, SimpleCookie
from typing import Any

from launchready.config.captures import Capture


@dataclass(frozen=True, kw_only=True)
class CapturedResponse:
    """What a capture is extracted from (built by the runner from one response)."""

    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""


class _FirstMatch(HTMLParser):
    """Finds the first start tag matching a capture; stops looking once found."""

    def __init__(self, capture: Capture) -> None:
        super().__init__(convert_charrefs=True)
        self.capture = capture
        self.value: str | None = None
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.found or tag != self.capture.tag:
            return
        values = dict(attrs)
        if values.get(self.capture.attr) != self.capture.attr_value:
            return
        self.found = True
        self.value = values.get(self.capture.take)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _json_at(body: str, path: str) -> str | None:
    try:
        node: Any = json.loads(body)
    except ValueError:
        return None
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    if node is None:
        return None
    if isinstance(node, str):
        return node
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, int | float):
        return str(node)
    return json.dumps(node, separators=(",", ":"))


def _cookie(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    for key, value in headers:
        if key.lower() != "set-cookie":
            continue
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(value)
        except CookieError:
            continue
        if name in jar:
            return jar[name].value
    return None


def extract(capture: Capture, response: CapturedResponse) -> str | None:
    """The captured value, or None when the response does not hold it. Pure; never raises."""
    if capture.source == "json":
        return _json_at(response.body, capture.path)
    if capture.source == "header":
        return next((v for k, v in response.headers if k.lower() == capture.path), None)
    if capture.source == "cookie":
        return _cookie(response.headers, capture.path)
    finder = _FirstMatch(capture)
    finder.feed(response.body)
    finder.close()
    return finder.value

"""Plain JSON webhooks (``json://`` / ``jsons://``) sent by the project itself.

The payload is the one apprise's JSON plugin posts (``version``, ``title``, ``message``,
``attachments``, ``type``), so a receiver sees no difference; sending it here means the
outbox reads the real HTTP status and ``Retry-After`` of every attempt. A URL using apprise's
payload or method options (``:key=``, ``-key``, ``method=``…) is left to apprise.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

TIMEOUT_S = 4.0  # per socket operation (connect, each read)
_PLAIN_OPTIONS = frozenset({"verify", "format", "overflow", "rto", "cto"})


@dataclass(frozen=True, kw_only=True)
class Webhook:
    """Where and how to post."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    verify: bool = True


def plain_webhook(route: str) -> Webhook | None:
    """The webhook a ``json://``/``jsons://`` route URL names, or None when it is another
    kind of route or uses options only apprise implements."""
    parts = urlsplit(route)
    if parts.scheme not in ("json", "jsons") or not parts.hostname:
        return None
    headers = {"User-Agent": "launchready", "Content-Type": "application/json"}
    verify = True
    # split by hand: a "+" starts a header name here, it is not a space (apprise's syntax)
    pairs = [item.partition("=") for item in parts.query.split("&") if item]
    for key, value in ((unquote(k), unquote(v)) for k, _, v in pairs):
        if key.startswith("+") and len(key) > 1:
            headers[key[1:]] = value
        elif key == "verify":
            verify = value.lower() not in ("no", "false", "0")
        elif key not in _PLAIN_OPTIONS:
            return None
    if parts.username is not None:
        cred = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(cred.encode()).decode()
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    port = f":{parts.port}" if parts.port else ""
    scheme = "https" if parts.scheme == "jsons" else "http"
    return Webhook(url=f"{scheme}://{host}{port}{parts.path or '/'}", headers=headers,
                   verify=verify)


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What one post got back: a status (None when nothing came back) and Retry-After."""

    status: int | None
    retry_after: str | None = None
    error: str = ""


def post(hook: Webhook, title: str, body: str) -> Answer:
    """POST the apprise-shaped JSON payload; never raises for a network outcome."""
    return post_json(hook, {"version": "1.0", "title": title, "message": body,
                            "attachments": [], "type": "info"})


def post_json(hook: Webhook, document: object) -> Answer:
    """POST ``document`` as JSON to ``hook``; never raises for a network outcome."""
    payload = json.dumps(document).encode()
    request = urllib.request.Request(hook.url, data=payload, headers=hook.headers,  # noqa: S310 - http(s) only, built above
                                     method="POST")
    context = None
    if not hook.verify and hook.url.startswith("https:"):
        import ssl  # noqa: PLC0415

        context = ssl._create_unverified_context()  # noqa: S323 - the route asked verify=no
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S, context=context) as resp:  # noqa: S310
            resp.read(65536)
            return Answer(status=int(resp.status))
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(status=int(exc.code), retry_after=exc.headers.get("Retry-After"),
                          error=f"HTTP {exc.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        kind = "timeout" if isinstance(reason, TimeoutError) else "connection failed"
        return Answer(status=None, error=f"could not reach the webhook ({kind})")

"""Load an environment from a dotenv file, a platform export or the process environment.

Supported sources (the format is told from the content, not the file name):

* **dotenv** — parsed by python-dotenv (``dotenv_values``), with its quoting rules (``'...'``
  literal, ``"..."`` with escapes, unquoted values trimmed, ``#`` comments), ``export KEY=...``
  lines, and ``KEY`` alone declaring a variable without a value. ``${VAR}`` is *not* expanded:
  platforms store what the file says, and expanding would pull values in from the machine that
  runs the check. A line python-dotenv cannot parse is a skipped item naming its line number.
  Produced by:

  - Vercel: ``vercel env pull --environment=production .env.vercel.production``
  - Heroku: ``heroku config --shell -a APP > .env.heroku``
  - Railway: ``railway variables --kv > .env.railway``

* **JSON object** ``{"KEY": "value", ...}`` — ``heroku config --json -a APP``,
  ``railway variables --json``, ``netlify env:list --json``.
* **JSON list of key/value objects** — ``[{"key": ..., "value": ...}]``, Render's API
  (``curl -H "Authorization: Bearer $RENDER_API_KEY"
  https://api.render.com/v1/services/SERVICE_ID/env-vars``, items wrapped in ``envVar``) and
  Vercel's API (``{"envs": [...]}`` from ``/v9/projects/PROJECT/env?decrypt=true``).
* **JSON list of names** — ``fly secrets list --json -a APP`` (``Name``/``Digest`` only): the
  variables count as set, their values are not visible, so only presence is judged.

Nothing here logs or returns a value outside an :class:`~.facts.EnvValue`.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from dotenv.parser import parse_stream

from launchready.envcontract.facts import EnvSnapshot, EnvValue, Skipped
from launchready.envcontract.sourcetree import decode_text
from launchready.errors import ProbeError
from launchready.probes.files import ENV_FILE_LIMIT, UnreadableFile, read_capped


@contextmanager
def _quiet_dotenv() -> Iterator[None]:
    # python-dotenv logs "could not parse statement" itself; those lines become skipped items
    # here, so its own log line would only repeat them on stderr.
    logger = logging.getLogger("dotenv.main")
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


def parse_dotenv(text: str, label: str) -> EnvSnapshot:
    """Parse dotenv ``text``; unparsable statements become skipped items (by line number)."""
    skipped = tuple(
        Skipped(item=f"{label}:{binding.original.line}",
                reason="malformed line, not parsed (an unclosed quote also swallows the "
                       "lines after it)")
        for binding in parse_stream(io.StringIO(text)) if binding.error)
    with _quiet_dotenv():
        parsed = dotenv_values(stream=io.StringIO(text), interpolate=False)
    values = {k: (None if v is None else EnvValue(v)) for k, v in parsed.items()}
    return EnvSnapshot(label=label, values=values, skipped=skipped)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return json.dumps(value)


def _lower_keys(item: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in item.items()}


def parse_json_export(text: str, label: str) -> EnvSnapshot:
    """Parse a platform's JSON export (see the module docstring for the shapes)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProbeError(f"{label}: not valid JSON (line {exc.lineno}); export it again "
                         f"with the platform's --json option") from None
    if isinstance(data, dict) and isinstance(data.get("envs"), list):
        data = data["envs"]
    values: dict[str, EnvValue | None] = {}
    skipped: list[Skipped] = []
    if isinstance(data, dict):
        for key, raw in data.items():
            text_value = _as_text(raw)
            values[str(key)] = None if text_value is None else EnvValue(text_value)
        return EnvSnapshot(label=label, values=values)
    if not isinstance(data, list):
        raise ProbeError(f"{label}: a JSON export is an object of KEY: value or a list of "
                         f"{{key, value}} objects")
    names_only = bool(data)
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            skipped.append(Skipped(item=f"{label}[{index}]", reason="not an object"))
            continue
        entry = _lower_keys(item)
        if isinstance(entry.get("envvar"), dict):
            entry = _lower_keys(entry["envvar"])
        name = entry.get("key", entry.get("name"))
        if not isinstance(name, str) or not name:
            skipped.append(Skipped(item=f"{label}[{index}]", reason="no key or name"))
            continue
        if "value" in entry:
            names_only = False
            text_value = _as_text(entry["value"])
            values[name] = None if text_value is None else EnvValue(text_value)
        else:
            values[name] = None
    return EnvSnapshot(label=label, values=values, skipped=tuple(skipped),
                       names_only=names_only and bool(values))


def load_env_file(path: Path, label: str | None = None) -> EnvSnapshot:
    """Read ``path`` as dotenv or a JSON platform export; ProbeError when it cannot be read."""
    shown = label or path.name
    try:
        data = read_capped(path, limit=ENV_FILE_LIMIT, what=shown)
    except UnreadableFile as exc:
        raise ProbeError(str(exc)) from None
    text = decode_text(data)
    if text is None:
        raise ProbeError(f"{shown} is a binary file or not UTF-8/UTF-16 text, not an env file")
    if text.lstrip()[:1] in ("{", "["):
        return parse_json_export(text, shown)
    return parse_dotenv(text, shown)


def from_environ(environ: Mapping[str, str], label: str = "process environment") -> EnvSnapshot:
    """The process environment as a snapshot (only contract variables are judged from it)."""
    return EnvSnapshot(label=label, values={k: EnvValue(v) for k, v in environ.items()},
                       process=True)

"""``${VAR}`` expansion in config string values, tracking where credentials came from.

``$$`` is a literal ``$``; ``${VAR}`` is replaced by the environment value; an unset variable is
an error naming it (never an empty string). A lone ``$`` not followed by ``{`` or ``$`` stays as
written. Names in ``deferred`` (run-time values such as ``RUN_ID``) are left as ``${NAME}`` for
the component that fills them in later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from launchready.errors import ConfigError

_REF = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: key names whose values are credentials: they must come from ${VAR}
CREDENTIAL_KEYS = re.compile(
    r"(^|_)(password|passwd|pass|secret|token|api_?key|apikey|private_?key|webhook|authorization)$",
    re.IGNORECASE)
#: run-time names the smoke flow fills in itself
RUNTIME_NAMES = frozenset({"RUN_ID"})


@dataclass
class Expansion:
    """Bookkeeping of one expansion pass."""

    literal_credentials: list[str] = field(default_factory=list)
    from_env: dict[str, str] = field(default_factory=dict)  # key path -> variable name


def is_credential_path(path: str) -> bool:
    """True for key paths holding credentials (alert URLs and database URLs included)."""
    if re.fullmatch(r"smoke\.steps\[\d+\]\.capture\.[^.]+", path):
        return False  # a capture says where a value comes from (json.token), not the value
    last = re.sub(r"\[\d+\]$", "", path.rsplit(".", 1)[-1])
    if CREDENTIAL_KEYS.search(last):
        return True
    return bool(re.fullmatch(r"monitor\.alerts\[\d+\]\.url|database\.url|web\.auth_(header|cookie)",
                             path))


def _expand_str(value: str, path: str, environ: Mapping[str, str], deferred: frozenset[str],
                book: Expansion) -> str:
    used_var = False

    def sub(m: re.Match[str]) -> str:
        nonlocal used_var
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        if name in deferred:
            return m.group(0)
        if name not in environ:
            raise ConfigError(f"environment variable {name} is not set", key=path,
                              fix=f"export {name}=... before running, or remove the reference")
        if environ[name] == "" and is_credential_path(path):
            raise ConfigError(f"environment variable {name} is empty", key=path,
                              fix=f"set {name} to the real credential")
        used_var = True
        book.from_env[path] = name
        return environ[name]

    out = _REF.sub(sub, value)
    if not used_var and value and is_credential_path(path) and _looks_literal(value):
        book.literal_credentials.append(path)
    return out


def _looks_literal(value: str) -> bool:
    if "${" in value:
        return False
    # a URL is only a credential when it carries one (user:pass@, token query) or is a webhook
    if "://" in value:
        return bool(re.search(r"://[^/@\s]+:[^/@\s]+@|[?&](token|key|secret|sig)=", value,
                              re.IGNORECASE)) or "hooks." in value or "webhook" in value
    return True


def _smoke_captures(data: Any) -> frozenset[str]:
    """Names that ``[smoke]`` steps capture: the smoke runner fills them, not the environment."""
    steps = data.get("steps") if isinstance(data, dict) else None
    names: set[str] = set()
    for step in steps if isinstance(steps, list) else []:
        capture = step.get("capture") if isinstance(step, dict) else None
        if isinstance(capture, dict):
            names.update(k for k in capture if isinstance(k, str))
    return frozenset(names)


def expand(data: Any, environ: Mapping[str, str], *, path: str = "",
           book: Expansion | None = None,
           deferred: frozenset[str] = frozenset()) -> tuple[Any, Expansion]:
    """Return ``data`` with every string expanded, and the bookkeeping."""
    book = book if book is not None else Expansion()
    if path == "smoke":
        deferred = RUNTIME_NAMES | _smoke_captures(data)
    if isinstance(data, str):
        return _expand_str(data, path, environ, deferred, book), book
    if isinstance(data, list):
        return [expand(v, environ, path=f"{path}[{i}]", book=book, deferred=deferred)[0]
                for i, v in enumerate(data)], book
    if isinstance(data, dict):
        return {k: expand(v, environ, path=f"{path}.{k}" if path else str(k), book=book,
                          deferred=deferred)[0]
                for k, v in data.items()}, book
    return data, book

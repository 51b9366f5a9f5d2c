"""Find, read, expand and validate the configuration; every failure is a ConfigError."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from launchready.config.expand import expand
from launchready.config.locate import DEFAULT_NAME, find_config
from launchready.config.models import Config
from launchready.config.paths import resolve_paths
from launchready.errors import ConfigError
from launchready.probes.files import CONFIG_LIMIT, UnreadableFile, read_capped, size_text


def load_config(path: str | Path | None = None, *, environ: Mapping[str, str] | None = None,
                cwd: Path | None = None) -> Config:
    """Load and validate the configuration (SPEC §3); raise ConfigError with the key path."""
    found = find_config(path, cwd)
    if found is None:
        raise ConfigError(f"no {DEFAULT_NAME} here and no [tool.launchready] in pyproject.toml",
                          fix="run `launchready init` or pass --config PATH")
    file, is_pyproject = found
    try:
        text = read_capped(file, limit=CONFIG_LIMIT, what=f"config file {file}").decode("utf-8")
    except UnreadableFile as exc:
        raise ConfigError(str(exc), fix="keep the config a TOML file under "
                                        f"{size_text(CONFIG_LIMIT)}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read {file}: {exc}") from None
    return load_config_text(text, source=str(file), pyproject=is_pyproject, environ=environ)


#: no launchready key nests deeper than a few levels; a deeper document is not a config
MAX_DEPTH = 32


def _check_depth(raw: dict[str, Any], source: str) -> None:
    """ConfigError naming the key path where ``raw`` nests deeper than :data:`MAX_DEPTH`."""
    stack: list[tuple[Any, str, int]] = [(raw, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ConfigError(f"nested more than {MAX_DEPTH} levels deep", source=source,
                              key=path[:80] + ("..." if len(path) > 80 else ""),
                              fix="no launchready key nests that deep")
        items = node.items() if isinstance(node, dict) else (
            enumerate(node) if isinstance(node, list) else ())
        for k, v in items:
            if isinstance(v, dict | list):
                stack.append((v, f"{path}.{k}" if path else str(k), depth + 1))


def load_config_text(text: str, *, source: str = DEFAULT_NAME, pyproject: bool = False,
                     environ: Mapping[str, str] | None = None) -> Config:
    """Validate config given as TOML text."""
    env = os.environ if environ is None else environ
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", source=source,
                          fix="check quoting and brackets on that line") from None
    except RecursionError:
        raise ConfigError(f"nested more than {MAX_DEPTH} levels deep", source=source,
                          fix="no launchready key nests that deep; check the brackets") from None
    _check_depth(raw, source)
    if pyproject:
        raw = raw.get("tool", {}).get("launchready", {})
    try:
        expanded, book = expand(raw, env)
    except ConfigError as exc:
        raise ConfigError(str(exc), source=_where(source, text, exc.key)) from None
    try:
        config = Config.model_validate(expanded)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _key_path(err["loc"])
        message = _message(err)
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(message, key=key, source=_where(source, text, key),
                          fix=_fix(err, key)) from None
    config = config.model_copy(update={"source": source,
                                       "literal_credentials": tuple(book.literal_credentials)})
    return resolve_paths(config, Path(source).resolve().parent)


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("function-") or part in ("function-after", "function-before"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def known_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the config accepts beside the last part of ``loc`` (for "did you mean")."""
    models: list[type[BaseModel]] = [Config]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        models = [m for model in models if part in model.model_fields
                  for m in _models_in(model.model_fields[part].annotation)]
    return sorted({name for model in models for name in model.model_fields})


def _fix(err: Any, key: str) -> str | None:
    if err["type"] == "extra_forbidden":
        last = key.rsplit(".", 1)[-1]
        close = difflib.get_close_matches(last, known_keys(tuple(err["loc"])), n=1)
        if close:
            return f"did you mean {close[0]!r}?"
        return f"remove {last!r} or check its spelling against the README"
    if err["type"] == "missing":
        return f"add {key.rsplit('.', 1)[-1]} = ..."
    return None


def _where(source: str, text: str, key: str | None) -> str:
    """``file:line`` for the key where it can be found in the text (best effort)."""
    if not key:
        return source
    last = re.sub(r"\[\d+\]", "", key).rsplit(".", 1)[-1]
    pattern = re.compile(rf"^\s*(\[+\s*)?[\w.\"]*\b{re.escape(last)}\b\s*(=|\]|\.)", re.M)
    m = pattern.search(text)
    if not m:
        return source
    return f"{source}:{text.count(chr(10), 0, m.start()) + 1}"

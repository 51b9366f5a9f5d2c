"""``launchready init [--url URL] [--domain D] [--force] [--dir PATH]``: write a commented config.

Detects the project in ``--dir`` (default: the current folder) and, with ``--url``, probes the
live site through ``--resolver`` / ``--resolve`` / ``--ca-bundle``. The file is checked with
the config loader before it is written, and an existing file is only replaced with
``--force``. ``-o FILE`` writes somewhere other than ``launchready.toml`` in that folder.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from launchready.config.loader import load_config_text
from launchready.config.locate import DEFAULT_NAME
from launchready.config.models import NetworkConfig
from launchready.errors import ConfigError, UsageError
from launchready.init import InitOptions, detect_project, probe_site, render_config
from launchready.output import EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--url``, ``--domain``, ``--force`` and ``--dir``."""
    parser.add_argument("--url", help="the live site to probe (canonical URL, apex, www, DNS)")
    parser.add_argument("--domain", help="the apex domain (default: found from --url)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.add_argument("--dir", default=".", metavar="PATH",
                        help="the project folder to detect (default: the current folder)")


def _network(args: argparse.Namespace) -> NetworkConfig:
    if args.ca_bundle and not Path(args.ca_bundle).is_file():
        raise UsageError(f"--ca-bundle: {args.ca_bundle} does not exist")
    try:
        return NetworkConfig.model_validate({
            "resolver": args.resolver, "resolve": list(args.resolve),
            "ca_bundle": args.ca_bundle,
            **({"timeout": args.timeout} if args.timeout is not None else {})})
    except ValueError as exc:
        raise UsageError(f"init: bad network option: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """Write a commented launchready.toml for this project (and live site)."""
    root = Path(args.dir)
    if not root.is_dir():
        raise UsageError(f"init: --dir {root} is not a folder")
    if len(args.outputs) > 1:
        raise UsageError("init writes one file: give at most one -o")
    target = Path(args.outputs[0]) if args.outputs else root / DEFAULT_NAME
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists; pass --force to overwrite it")
    if args.url and not args.url.startswith(("http://", "https://")):
        raise UsageError(f"init: --url {args.url!r} is not an http(s) URL")
    domain = args.domain.strip().rstrip(".").lower() if args.domain else None
    network = _network(args)
    project = detect_project(root)
    live = asyncio.run(probe_site(args.url, domain, network)) if args.url else None
    options = InitOptions(url=args.url, domain=domain, resolver=network.resolver,
                          resolve=tuple(network.resolve), ca_bundle=network.ca_bundle,
                          timeout=args.timeout)
    text = render_config(project, live, options)
    try:
        # the file must load as written (no ${VAR} is active, so no variable is needed)
        load_config_text(text, source=str(target), pyproject=False, environ={})
    except ConfigError as exc:
        raise ConfigError(f"init produced a config the loader rejects ({exc}); "
                          "please report this") from None
    try:
        with target.open("w" if args.force else "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise UsageError(f"{target} already exists; pass --force to overwrite it") from None
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    if not args.quiet:
        found = ", ".join(f"{p.folder}/: {p.framework.name}" for p in project.packages) or (
            project.framework.name if project.framework else "no framework recognised")
        sys.stderr.write(f"wrote {target} ({found}"
                         + (f"; live: {live.canonical or live.url}" if live else "") + ")\n")
        if project.production_env is None:
            sys.stderr.write("next: name the production environment — pull it from the "
                             "platform (e.g. `vercel env pull --environment=production "
                             ".env.production`) and set [env] environment_file, or run "
                             "`launchready env --env-file FILE`\n")
    return EXIT_OK

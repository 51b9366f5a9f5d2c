"""The one way templates are loaded: autoescaping on, undefined names are errors."""

from __future__ import annotations

import functools

import jinja2


@functools.cache
def environment(package: str) -> jinja2.Environment:
    """The Jinja environment for the ``templates`` folder of ``package`` (cached)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )

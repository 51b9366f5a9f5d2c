"""Env files in a repository: which file names are env files, and which of their variables
hold a credential.

A tracked ``.env`` is a risk by what it holds. Frameworks ask for some to be committed (Next.js
and Vite read defaults from ``.env``, ``.env.development`` and ``.env.production``), and starter
templates commit one with ``changethis`` placeholders and localhost URLs. SEC006 is high when the
file holds a credential — a secret-named variable with a value that could be real, or anything
the scanner reports in it — and low when it holds only placeholders, local defaults and
settings: nothing is exposed yet, but the next real value typed into it is committed.
"""

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath

from launchready.envcontract.envfiles import parse_dotenv
from launchready.secrets.generic import is_secret_name
from launchready.secrets.values import LOCAL_PASSWORDS, is_placeholder

#: committed on purpose: names and empty values for others to fill in
ENV_TEMPLATES = (".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults",
                 ".env.schema", ".env.test.example")
_TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist")
_ENV_PATTERNS = (".env", ".env.*", "*.env", ".envrc")
#: a number this short under a secret-looking name is a setting (an expiry, a length)
_SETTING_DIGITS = 11


def is_env_file(path: str) -> bool:
    """True for dotenv-style files that hold real values (templates excluded)."""
    name = PurePosixPath(path).name
    if name.lower() in ENV_TEMPLATES or name.lower().endswith(_TEMPLATE_SUFFIXES):
        return False
    return any(fnmatch.fnmatchcase(name, p) for p in _ENV_PATTERNS)


def could_be_credential(value: str) -> bool:
    """True unless ``value`` is empty, a reference (``${VAR}``, ``$VAR``), a placeholder, a
    well-known local password or a short number. URLs are left to the scanner's URL rule,
    which knows local hosts from real ones."""
    v = value.strip()
    if not v or v.startswith("$") or "://" in v:
        return False
    if v.isdigit() and len(v) <= _SETTING_DIGITS:
        return False
    return v.lower() not in LOCAL_PASSWORDS and not is_placeholder(v.encode("utf-8", "replace"))


def credential_names(data: bytes) -> tuple[str, ...]:
    """The secret-named variables of a dotenv file (``SMTP_PASSWORD``, ``JWT_SECRET``) whose
    value could be a real credential, in file order."""
    snapshot = parse_dotenv(data.decode("utf-8", "replace"), "env file")
    return tuple(name for name, value in snapshot.values.items()
                 if value is not None and is_secret_name(name)
                 and could_be_credential(value.raw))

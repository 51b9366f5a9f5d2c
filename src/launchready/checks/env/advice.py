"""The kind of thing a variable holds, and the fix that fits that kind.

A finding's fix is chosen by the variable's kind: a provider key comes from the provider's
dashboard (the secret rules' rotation steps), a signing secret from ``openssl rand``, a database
URL from the managed database, a flag or a URL is simply set. Nobody is told to generate a
Stripe key with openssl.
"""

from __future__ import annotations

import enum
import re

from launchready.checks.env import values as v
from launchready.checks.env.providers import provider_of, steps


class VarKind(enum.StrEnum):
    """What a variable holds, as far as its name and value tell."""

    PROVIDER_KEY = "provider key"
    SIGNING_SECRET = "signing secret"  # noqa: S105 - a kind name, not a secret
    PASSWORD = "password"  # noqa: S105 - a kind name, not a secret
    DATABASE_URL = "database URL"
    FLAG = "flag"
    URL = "URL"
    SETTING = "setting"


_DB_NAME = re.compile(r"(?:^|_)(?:DATABASE|DB|POSTGRES|PG|MYSQL|MONGO(?:DB)?|REDIS)_(?:URL|URI|"
                      r"DSN)$|^(?:DATABASE|DB)_URL$")
_FLAG_NAME = re.compile(r"(?:^|_)(?:DEBUG|ENABLE|ENABLED|DISABLE|DISABLED|FEATURE|FLAG|USE|"
                        r"ALLOW)(?:_|$)")
_URL_NAME = re.compile(r"(?:^|_)(?:URL|URI|HOST|ENDPOINT|DOMAIN|ORIGIN|BASE)$")
_PASSWORD_NAME = re.compile(r"(?:^|_)(?:PASSWORD|PASSWD|PASS)(?:_|$)")


def kind_of(name: str, value: str | None = None) -> VarKind:
    """The variable's kind from its name and, when known, its value."""
    upper = name.upper()
    raw = (value or "").strip()
    if (raw and v.database_url(raw)) or _DB_NAME.search(upper):
        return VarKind.DATABASE_URL
    if (raw and v.secret_format(raw)) or (provider_of(upper) and v.is_secret_name(upper)):
        return VarKind.PROVIDER_KEY
    if v.is_signing_name(upper):
        return VarKind.SIGNING_SECRET
    if _PASSWORD_NAME.search(upper):
        return VarKind.PASSWORD
    if _FLAG_NAME.search(upper) or raw.lower() in ("true", "false", "on", "off", "yes", "no"):
        return VarKind.FLAG
    if _URL_NAME.search(upper) or "://" in raw:
        return VarKind.URL
    if v.is_secret_name(upper):
        return VarKind.PROVIDER_KEY if provider_of(upper) else VarKind.SIGNING_SECRET
    return VarKind.SETTING


def where_to_get(name: str, kind: VarKind) -> str:
    """Where a real value of this kind comes from (one sentence)."""
    provider = provider_of(name)
    match kind:
        case VarKind.PROVIDER_KEY:
            if provider is not None:
                return f"Take the live credential from {provider.name}: {steps(provider)}"
            return "Take the production credential from the service's dashboard."
        case VarKind.SIGNING_SECRET:
            return ("Generate it: `openssl rand -base64 32` (or `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(32))'`), a different value per environment.")
        case VarKind.PASSWORD:
            return ("Use a generated password (`openssl rand -base64 24`), set it at the "
                    "service first, then here.")
        case VarKind.DATABASE_URL:
            return ("Use the production database's connection string from its provider "
                    "(Neon, Supabase, RDS, Render …), never a local or preview one.")
        case VarKind.FLAG:
            return "Set it to the value production should run with (e.g. true/false)."
        case VarKind.URL:
            return "Set it to the production URL of that service (https, a public host)."
        case VarKind.SETTING:
            if provider is not None:
                return f"Take the production value from {provider.name}: {steps(provider)}"
            return "Set it to the value production needs."


def set_on_platform(name: str, environment: str) -> str:
    """How to set a variable on the common platforms (the value is never written here)."""
    return (f"`vercel env add {name} {environment}`, `fly secrets set {name}=...`, "
            f"`heroku config:set {name}=...`, or the platform's dashboard")

"""Pure classifiers for environment values. They return descriptions, never the value.

Every function here takes a name and a value and says what *kind* of thing the value is
("a Stripe live secret key", "a loopback address"), so findings can explain themselves
without showing a single character of what was configured.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import math
import re
from collections import Counter
from urllib.parse import urlsplit

from launchready.checks.env.providers import provider_of

# (pattern, description) for values that are secret whatever their name; publishable keys
# (Stripe pk_, Supabase anon JWTs, Firebase AIza...) are deliberately absent: they are meant for
# browsers.
_SECRET_FORMATS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), d) for p, d in (
        (r"^sk_live_[0-9A-Za-z]{16,}$", "a Stripe live secret key"),
        (r"^sk_test_[0-9A-Za-z]{16,}$", "a Stripe test secret key"),
        (r"^rk_(?:live|test)_[0-9A-Za-z]{16,}$", "a Stripe restricted key"),
        (r"^whsec_[0-9A-Za-z+/=]{16,}$", "a Stripe webhook signing secret"),
        (r"^sk-ant-[0-9A-Za-z_-]{20,}$", "an Anthropic API key"),
        (r"^sk-(?:proj-|svcacct-)?[0-9A-Za-z_-]{20,}$", "an OpenAI API key"),
        (r"^gh[pousr]_[0-9A-Za-z]{30,}$", "a GitHub token"),
        (r"^github_pat_[0-9A-Za-z_]{40,}$", "a GitHub fine-grained token"),
        (r"^glpat-[0-9A-Za-z_-]{20,}$", "a GitLab token"),
        (r"^xox[abposr]-[0-9A-Za-z-]{10,}$", "a Slack token"),
        (r"^SG\.[0-9A-Za-z_-]{16,}\.[0-9A-Za-z_-]{16,}$", "a SendGrid API key"),
        (r"^key-[0-9a-f]{32}$", "a Mailgun API key"),
        (r"^(?:AKIA|ASIA)[0-9A-Z]{16}$", "an AWS access key id"),
        (r"^npm_[0-9A-Za-z]{36}$", "an npm token"),
        (r"^pypi-[0-9A-Za-z_-]{50,}$", "a PyPI token"),
        (r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----", "a private key"),
    ))

#: name fragments that mark a variable as holding a secret
_SECRET_NAME = re.compile(
    r"(?:^|_)(SECRET|PASSWORD|PASSWD|PASS|PRIVATE|TOKEN|API_?KEY|ACCESS_KEY|AUTH_KEY|"
    r"SERVICE_ROLE|SERVICE_KEY|SIGNING|SALT|CREDENTIALS?|DSN_SECRET|WEBHOOK_SECRET|APP_KEY|"
    r"SECRET_KEY)(?:_|$)")
#: names whose value is a signing or encryption key: needs >= 32 random bytes
_SIGNING_NAME = re.compile(
    r"(?:^|_)(SECRET_KEY|SESSION_SECRET|JWT_SECRET|AUTH_SECRET|NEXTAUTH_SECRET|COOKIE_SECRET|"
    r"SIGNING_KEY|ENCRYPTION_KEY|APP_KEY|SECRET_KEY_BASE|CSRF_SECRET|HMAC_SECRET|APP_SECRET)$")
_NOT_SECRET_NAME = re.compile(r"(?:^|_)(PUBLISHABLE|PUBLIC_KEY|ANON_KEY|SITE_KEY|CLIENT_ID)(?:_|$)")

_PLACEHOLDERS = frozenset({
    "changeme", "change-me", "change_me", "changethis", "change-this", "secret", "password",
    "passw0rd", "pass", "test", "testing", "example", "sample", "dummy", "default", "todo",
    "tbd", "fixme", "none", "null", "undefined", "dev", "development", "local", "admin", "root",
    "letmein", "qwerty", "xxx", "your-secret", "your_secret", "your-secret-here", "yoursecret",
    "replace-me", "replaceme", "replace_me", "insecure", "notsecret", "not-secret", "mysecret",
    "my-secret", "supersecret", "super-secret", "secretkey", "secret-key", "secret_key",
    "keyboard cat", "12345", "123456", "1234567890", "abc123",
})
_PLACEHOLDER_SHAPES = re.compile(
    r"^(?:x+|\*+|\.+|0+|<.*>|\{\{.*\}\}|\[.*\]|your[-_ ].*|replace[-_ ].*|change[-_ ]?me.*|"
    r"django-insecure-.*|.*\bexample\b.*)$", re.IGNORECASE)
#: placeholder marks anywhere in a value: ``whsec_***``, ``postgresql://***``, ``sk_live_xxxx``,
#: ``https://<project>.supabase.co``, ``your_api_key``, ``changethis``, ``...``
_PLACEHOLDER_MARKS = re.compile(
    r"\*{3,}|(?:^|[^a-z])x{4,}(?:[^a-z]|$)|<[^<>]+>|\{\{|\.\.\.|…|your[-_]?(?:key|secret|token|"
    r"password|api|app|project|domain|own)|change[-_ ]?(?:me|this|it)|replace[-_ ]?(?:me|this)|"
    r"placeholder|insert[-_ ]?here|(?:^|[^a-z])todo(?:[^a-z]|$)", re.IGNORECASE)

_DB_SCHEMES = frozenset({"postgres", "postgresql", "mysql", "mariadb", "mongodb",
                         "mongodb+srv", "redis", "rediss", "amqp", "amqps", "mssql",
                         "sqlserver", "cockroachdb"})
_TRUTHY = frozenset({"1", "true", "yes", "on", "y", "t"})
_HOST_PORT = re.compile(r"^(?P<host>[A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\]):(?P<port>\d{1,5})$")


def secret_format(value: str) -> str | None:
    """What well-known secret format ``value`` has ("a Stripe live secret key"), or None."""
    stripped = value.strip()
    for pattern, description in _SECRET_FORMATS:
        if pattern.search(stripped):
            return description
    if _jwt_role(stripped) in ("service_role", "admin"):
        return "a JWT with a privileged role"
    if password_in_url(stripped):
        return "a URL with a password in it"
    return None


def _jwt_role(value: str) -> str | None:
    parts = value.split(".")
    if len(parts) != 3 or not value.startswith("eyJ"):
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    role = payload.get("role") if isinstance(payload, dict) else None
    return role if isinstance(role, str) else None


def password_in_url(value: str) -> bool:
    """True for ``scheme://user:password@host`` URLs."""
    if "://" not in value:
        return False
    try:
        return bool(urlsplit(value.strip()).password)
    except ValueError:
        return False


def is_secret_name(name: str) -> bool:
    """True when the variable's name says it holds a secret."""
    upper = name.upper()
    return bool(_SECRET_NAME.search(upper)) and not _NOT_SECRET_NAME.search(upper)


def is_signing_name(name: str) -> bool:
    """True when the variable's name says it is a signing or encryption key."""
    return bool(_SIGNING_NAME.search(name.upper()))


def database_url(value: str) -> bool:
    """True for a database/cache/queue connection URL."""
    if "://" not in value:
        return False
    try:
        return urlsplit(value.strip()).scheme.lower() in _DB_SCHEMES
    except ValueError:
        return False


def public_secret(name: str, value: str) -> str | None:
    """Why a value under a public prefix looks secret, or None.

    A known secret format is enough; so is a secret-sounding name (``..._SECRET``,
    ``..._SERVICE_ROLE_KEY``) holding something that is not a placeholder.
    """
    fmt = secret_format(value)
    if fmt is not None:
        return f"it looks like {fmt}"
    if database_url(value):
        return "it is a database connection URL"
    if is_secret_name(name) and value.strip() and placeholder(value) is None:
        return "its name says it is a secret"
    return None


def sandbox_credential(name: str, value: str) -> str | None:
    """Why the value is a test/sandbox credential, or None."""
    v = value.strip()
    for prefix, what in (("sk_test_", "a Stripe test secret key"),
                         ("rk_test_", "a Stripe restricted test key"),
                         ("pk_test_", "a Stripe/Clerk test publishable key")):
        if v.startswith(prefix):
            return f"it is {what} ({prefix}…)"
    if "sandbox.paypal.com" in v.lower():
        return "it points at PayPal's sandbox"
    upper = name.upper()
    if (upper.endswith(("_ENV", "_ENVIRONMENT", "_MODE")) and provider_of(upper) is not None
            and v.lower() in ("sandbox", "test", "testing")):
        return f"it selects the provider's {v.lower()} mode"
    return None


def _ip_kind(host: str) -> str | None:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_unspecified:
        return "the unspecified address (0.0.0.0 / ::)"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private or ip in ipaddress.ip_network("100.64.0.0/10"):
        return "a private network address"
    return None


def local_address(value: str) -> str | None:
    """Why the value points somewhere only the developer's machine or LAN can reach, or None."""
    v = value.strip()
    host: str | None = None
    if "://" in v:
        try:
            parts = urlsplit(v)
            host = parts.hostname
        except ValueError:
            return None
    else:
        m = _HOST_PORT.match(v)
        if m:
            host = m.group("host")
    if not host:
        return None
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "localhost"
    if host.endswith(".local"):
        return "a .local (mDNS) name"
    return _ip_kind(host)


def placeholder(value: str) -> str | None:
    """Why the value is a placeholder rather than a real secret, or None."""
    v = value.strip()
    if v.lower() in _PLACEHOLDERS:
        return "it is a well-known placeholder"
    if _PLACEHOLDER_SHAPES.match(v):
        if v.lower().startswith("django-insecure-"):
            return "it is Django's generated development key (django-insecure-…)"
        return "it is a placeholder"
    if _PLACEHOLDER_MARKS.search(v):
        return "it is a placeholder (masked or template text, not a real value)"
    if len(v) >= 4 and len(set(v)) == 1:
        return "it is one character repeated"
    return None


def made_of_words(value: str) -> bool:
    """True for values like ``supersecretsessionkey`` or ``my-app-secret-2024``: words, not
    random characters (letters only, one case per word, and the vowels of prose)."""
    v = value.strip()
    if not re.fullmatch(r"[A-Za-z]+(?:[-_ .][A-Za-z]+)*[-_]?\d{0,4}", v):
        return False
    letters = [c for c in v if c.isalpha()]
    if not letters:
        return False
    vowels = sum(c in "aeiouAEIOU" for c in letters) / len(letters)
    # random mixed-case strings switch case mid-word; words are lower case or Capitalised
    words = re.split(r"[-_ .\d]+", v)
    cased = all(w.islower() or w.isupper() or w.istitle() for w in words if w)
    return cased and vowels >= 0.28


def random_bits(value: str) -> float:
    """A conservative estimate of the randomness in ``value``, in bits.

    Length times the bits per character of the smallest alphabet the value fits (hex 4,
    base64 6, printable ~6.5), capped by the observed per-character Shannon entropy plus a
    margin, so ``aaaa…`` or ``abcabc…`` of any length counts as weak.
    """
    v = value.strip()
    if not v:
        return 0.0
    if re.fullmatch(r"[0-9a-fA-F]+", v):
        per_char = 4.0
    elif re.fullmatch(r"[A-Za-z0-9+/=_-]+", v):
        per_char = 6.0
    else:
        per_char = 6.5
    counts = Counter(v)
    shannon = -sum(c / len(v) * math.log2(c / len(v)) for c in counts.values())
    # a short random string has a lower observed entropy than its alphabet allows; the margin
    # keeps `openssl rand -hex 32` / `-base64 32` output above 256 bits
    return len(v) * min(per_char, shannon + 1.5)


#: signing keys need this much real randomness (NIST SP 800-107: an HMAC key's security is
#: bounded by its entropy; 128 bits is beyond any brute force)
MIN_SIGNING_BITS = 128


def weak_secret(name: str, value: str) -> str | None:
    """Why a secret's value is weak, or None: a placeholder, words, or (for a signing key)
    less than :data:`MIN_SIGNING_BITS` of estimated randomness. Length alone is not judged."""
    reason = placeholder(value)
    if reason is not None:
        return reason
    if secret_format(value) is not None:
        return None
    if made_of_words(value):
        return "it is made of words, not random characters, so a dictionary attack finds it"
    if is_signing_name(name):
        bits = random_bits(value)
        if bits < MIN_SIGNING_BITS:
            return (f"it holds about {int(bits)} bits of randomness; a signing key needs at "
                    f"least {MIN_SIGNING_BITS} (16 random bytes)")
    return None


#: names that select the app's own mode (development/production), not a provider's
_APP_MODE_NAMES = frozenset({"ENV", "ENVIRONMENT", "APP_ENV", "APP_ENVIRONMENT", "APP_MODE",
                             "NODE_ENV", "RAILS_ENV", "RACK_ENV", "FLASK_ENV", "PYTHON_ENV",
                             "DJANGO_ENV", "FASTAPI_ENV", "VERCEL_ENV", "DEPLOY_ENV",
                             "STAGE", "RUN_MODE", "SERVER_ENV", "ENV_NAME", "MODE"})


def app_mode_name(name: str) -> bool:
    """True for a variable that selects the app's own mode (``FASTAPI_ENV``, ``APP_ENV``)."""
    upper = name.upper()
    if upper in _APP_MODE_NAMES:
        return True
    return upper.endswith(("_ENV", "_ENVIRONMENT")) and provider_of(upper) is None


def debug_flag(name: str, value: str) -> str | None:
    """Why this variable turns on debug behaviour, or None."""
    upper, v = name.upper(), value.strip().lower()
    if upper == "NODE_ENV":
        return None if v == "production" else "NODE_ENV is not \"production\""
    if app_mode_name(upper) and v in ("development", "dev", "local", "debug"):
        return f"{upper} selects development mode"
    if (upper == "DEBUG" or upper.endswith("_DEBUG")) and v in _TRUTHY:
        return f"{upper} is on"
    return None


def stray_wrapping(value: str) -> str | None:
    """Why the value probably is not what was meant (quotes or whitespace kept), or None."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
        return "it is wrapped in quote characters that became part of the value"
    if value != value.strip():
        return "it has leading or trailing whitespace"
    return None

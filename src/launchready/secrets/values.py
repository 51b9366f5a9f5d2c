"""What a candidate value looks like: its entropy, and whether it is a placeholder."""

from __future__ import annotations

import math
from collections import Counter


def shannon_entropy(value: bytes) -> float:
    """Bits per character of ``value`` (0 for empty)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


# Substrings that mark a value as an example or a placeholder, never a live credential
# (AWS's documented AKIAIOSFODNN7EXAMPLE, "xxxx", "<your-key>", "${VAR}", "changeme" ...).
PLACEHOLDER_MARKERS: tuple[bytes, ...] = (
    b"example", b"xxxx", b"<", b">", b"${", b"{{", b"changeme", b"change_me", b"change-me",
    b"changethis", b"change_this", b"change-this", b"changeit",
    b"your_", b"your-", b"yourkey", b"placeholder", b"dummy", b"redacted", b"****", b"...",
    b"insert", b"replace", b"sample", b"0000000000", b"1234567890", b"abcdefgh", b"####",
    b"abc123", b"123abc", b"[", b"]",
)


#: passwords that local setups, CI service containers and templates use on purpose
LOCAL_PASSWORDS = frozenset({
    "postgres", "postgrespassword", "changethis", "changeit", "admin", "root", "secret", "test",
    "testing", "tests", "dev", "develop", "development", "local", "localdev", "mysql",
    "mariadb", "redis", "rabbitmq", "guest", "mongo", "mongodb", "user", "docker", "pass",
    "password", "passw0rd", "password1", "password123", "supersecret", "supersecretpassword",
    "pgpassword", "app", "example", "default", "prisma", "ci", "github", "gitlab",
})


#: the word a sample value spells, however it is dressed up, with little around it
#: (``pa$$word``, ``P@ssw0rd1``, ``mys3cr3t``, ``e2e_srh_token``): a default in a sample or
#: test file, never a generated credential (provider tokens such as ``secret_…`` are much
#: longer)
_SPELLED = (b"password", b"passwd", b"secret", b"token")
_LEET = bytes.maketrans(b"$@0134!5", b"saoieais")


def is_placeholder(value: bytes) -> bool:
    """True for documentation examples and placeholders (case-insensitive)."""
    low = value.lower()
    if any(m in low for m in PLACEHOLDER_MARKERS):
        return True
    spelled = low.replace(b"\\", b"").translate(_LEET)  # a shell escape: ``pa\$\$word``
    if any(word in spelled and len(spelled) <= len(word) + 8 for word in _SPELLED):
        return True
    return len(set(low)) < 5

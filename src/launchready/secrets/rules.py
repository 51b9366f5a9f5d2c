"""The secret rule table: one entry per credential type SPEC §5 names.

Each rule has a documented pattern (RE2 syntax: no look-around, no back-references, so the
same text compiles under google-re2's linear-time engine and under Python's ``re``), the
keywords that must appear for the rule to be tried at all, an optional Shannon-entropy floor
and validity check, the rotation steps for its provider, and true-positive / false-positive
examples that ``tests/test_secrets_rules.py`` runs (a missed tp or a fired fp fails CI).

Example values that look like real credentials are assembled from parts (``_cat``) so the
source file itself never carries a literal that a push-protection scanner would block.

Rule ids (``stripe-live-secret`` ...) are part of every fingerprint: never rename one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_B64 = _ALNUM + "+/"


def _cat(*parts: str) -> str:
    return "".join(parts)


def _noise(n: int, seed: str, alphabet: str = _ALNUM) -> str:
    """``n`` deterministic random-looking characters (example values that are no one's key)."""
    out: list[str] = []
    counter = 0
    while len(out) < n:
        block = hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        out.extend(alphabet[b % len(alphabet)] for b in block)
        counter += 1
    return "".join(out[:n])


def shannon_entropy(value: bytes) -> float:
    """Bits per character of ``value`` (0 for empty)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def base62_crc32(data: str) -> str:
    """CRC32 of ``data`` in base62, left-padded to 6 characters (GitHub/npm token checksum)."""
    n = zlib.crc32(data.encode()) & 0xFFFFFFFF
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = _B62[r] + out
    return out.rjust(6, "0")


def make_checksummed_token(prefix: str, body30: str) -> str:
    """A well-formed ``<prefix>_`` token (30 random characters + checksum), for tests and demos."""
    return f"{prefix}_{body30}{base62_crc32(body30)}"


def _checksum_ok(value: bytes) -> bool:
    # GitHub's 2021 token format (ghp_, gho_, ghu_, ghs_, ghr_) and npm's npm_ tokens end in a
    # 6-character base62 CRC32 of the 30-character random part, so a random 36-character string
    # after the prefix is almost never a real token.
    text = value.decode("ascii", "replace")
    body = text.split("_", 1)[1]
    return len(body) == 36 and base62_crc32(body[:30]) == body[30:]


def _b64url_json(part: str) -> object:
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return json.loads(raw)


def _jwt_ok(value: bytes) -> bool:
    # A JWT is only a credential when signed: the header must be JSON with an "alg" other than
    # "none" (RFC 7519 §6.1 unsecured JWTs carry no signature and prove nothing).
    parts = value.decode("ascii", "replace").split(".")
    if len(parts) != 3 or not parts[2]:
        return False
    try:
        header = _b64url_json(parts[0])
        _b64url_json(parts[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and str(header.get("alg", "none")).lower() != "none"


def _private_key_ok(value: bytes) -> bool:
    body = bytes(c for c in value.replace(b"\\n", b"").replace(b"\\r", b"")
                 if chr(c).isalnum() or c in b"+/=")
    return len(body) >= 64 and shannon_entropy(body) >= 4.5


_CODE_MARKERS = (b"(", b"${", b"process.env", b"environ", b"getenv", b"config.", b"settings.",
                 b"self.", b"this.", b"env.", b"->", b"::", b"%(", b"{{", b"#{", b"=")


def _generic_ok(value: bytes) -> bool:
    # A generic assignment is a finding only when the value looks random: letters and digits
    # mixed, not an expression, an environment lookup or a dotted identifier.
    low = value.lower()
    if any(m in low for m in _CODE_MARKERS):
        return False
    has_digit = any(48 <= c <= 57 for c in value)
    has_alpha = any(chr(c).isalpha() for c in value)
    mixed_case = value.lower() != value and value.upper() != value
    if not has_digit and (b"_" in value or b"." in value or b"-" in value):
        return False  # a dotted or snake_case identifier, not a random value
    return has_alpha and (has_digit or (mixed_case and len(value) >= 16))


def _password_ok(value: bytes) -> bool:
    # user:pass@ in a URL: the password must not be a placeholder word or a template variable.
    low = value.lower()
    return low not in (b"password", b"pass", b"passwd", b"secret", b"pwd", b"root") \
        and not low.startswith((b"$", b"%", b"{", b"<", b"*"))


# Substrings that mark a value as an example or a placeholder, never a live credential
# (AWS's documented AKIAIOSFODNN7EXAMPLE, "xxxx", "<your-key>", "${VAR}", "changeme" ...).
PLACEHOLDER_MARKERS: tuple[bytes, ...] = (
    b"example", b"xxxx", b"<", b">", b"${", b"{{", b"changeme", b"change_me", b"change-me",
    b"your_", b"your-", b"yourkey", b"placeholder", b"dummy", b"redacted", b"****", b"...",
    b"insert", b"replace", b"sample", b"0000000000", b"1234567890", b"abcdefgh",
)


def is_placeholder(value: bytes) -> bool:
    """True for documentation examples and placeholders (case-insensitive)."""
    low = value.lower()
    if any(m in low for m in PLACEHOLDER_MARKERS):
        return True
    return len(set(low)) < 5


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One credential type."""

    id: str
    title: str
    provider: str
    #: RE2-compatible pattern; ``group`` selects the secret value (0 = the whole match)
    pattern: str
    group: int = 0
    #: lower-case literals, one of which must occur near a match (the prefilter)
    keywords: tuple[str, ...]
    #: minimum Shannon entropy (bits per character) of the value, if any
    min_entropy: float | None = None
    validate: Callable[[bytes], bool] | None = None
    #: a live production credential (critical in the working tree) vs. test/sandbox (high)
    live: bool = True
    #: a generic rule yields to any specific rule whose match overlaps it
    generic: bool = False
    #: matches may span lines (private keys): the scan window is not cut at line ends
    multiline: bool = False
    #: how many leading characters are a public prefix that may be shown (``sk_live_``)
    show_prefix: int = 0
    rotation: str
    tp: tuple[str, ...]
    fp: tuple[str, ...]


_GH_BODY = "Zk3mQ9vT2xLp8RwN4bYc7HsJ1dFgA6"
_NPM_BODY = "Pq8ZkW3nR5tY2uV9xB4cD7eF1gH6jK"
_END = "(?:[^0-9A-Za-z_-]|$)"
_MAILGUN = ("Mailgun: Settings > API Security > delete the key and create a new one; "
            "check the sending logs for messages you did not send.")

RULES: tuple[Rule, ...] = (
    Rule(
        id="aws-access-key-id", title="AWS access key ID", provider="aws",
        pattern=r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b", group=1,
        keywords=("akia", "asia", "abia", "acca"), show_prefix=4,
        rotation="AWS: IAM console > Users > Security credentials > create a new access key, "
                 "deploy it, then deactivate and delete the leaked key; review CloudTrail for "
                 "its use (`aws iam update-access-key --status Inactive --access-key-id ...`).",
        tp=(_cat("aws_access_key_id = ", "AKIA", "Z7QK4WJ3N5XR2LPM"),
            _cat('"AccessKeyId": "', "ASIA", 'Y3BWM4ZXT6QRSV7N"')),
        fp=("AKIAIOSFODNN7EXAMPLE", "AKIA_TOO_SHORT", "xAKIAZ7QK4WJ3N5XR2LPMy",
            "aws_access_key_id = ${AWS_ACCESS_KEY_ID}"),
    ),
    Rule(
        id="aws-secret-access-key", title="AWS secret access key", provider="aws",
        pattern=r"(?i)aws.{0,24}?(?:secret|sk)[a-z_]{0,24}[\"']?\s{0,4}(?::=|=>|=|:)\s{0,4}"
                r"[\"']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)",
        group=1, keywords=("aws",), min_entropy=4.0,
        rotation="AWS: create a new access key pair for the IAM user, deploy it, deactivate "
                 "and delete the old pair; check CloudTrail for calls made with it.",
        tp=("AWS_SECRET_ACCESS_KEY=" + _noise(40, "aws1", _B64),
            'aws_secret_key: "' + _noise(40, "aws2", _B64) + '"'),
        fp=("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
            "AWS_SECRET_ACCESS_KEY=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    ),
    Rule(
        id="github-token", title="GitHub token", provider="github",
        pattern=r"\b(gh[pousr]_[A-Za-z0-9]{36})\b", group=1,
        keywords=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), validate=_checksum_ok, show_prefix=4,
        rotation="GitHub: Settings > Developer settings > Personal access tokens > delete the "
                 "token (or revoke the OAuth/App token), create a new one with the least scopes, "
                 "and review the account's security log.",
        tp=(f"token: {make_checksummed_token('gh' + 'p', _GH_BODY)}",
            f"GH_TOKEN={make_checksummed_token('gh' + 's', _GH_BODY[::-1])}"),
        fp=(_cat("gh", "p_", _GH_BODY, "ABCDEF"), "ghp_" + "x" * 36, "ghp_short"),
    ),
    Rule(
        id="github-fine-grained-token", title="GitHub fine-grained token", provider="github",
        pattern=r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b", group=1,
        keywords=("github_pat_",), min_entropy=4.0, show_prefix=11,
        rotation="GitHub: Settings > Developer settings > Fine-grained tokens > revoke it, "
                 "create a replacement limited to the repositories it needs.",
        tp=(_cat("github", "_pat_", _noise(22, "ghf1"), "_", _noise(59, "ghf2")),),
        fp=("github_pat_" + "a" * 22 + "_" + "b" * 59, "github_pat_<your-token>"),
    ),
    Rule(
        id="gitlab-token", title="GitLab token", provider="gitlab",
        pattern=r"\b((?:glpat|glptt|gldt|glrt)-[0-9A-Za-z_-]{20,})", group=1,
        keywords=("glpat-", "glptt-", "gldt-", "glrt-"), min_entropy=3.5, show_prefix=6,
        rotation="GitLab: User settings > Access tokens > revoke the token, create a new one "
                 "with the minimum scopes and expiry; check the audit events.",
        tp=(_cat("GITLAB_TOKEN=", "glpat", "-", _noise(20, "gl")),),
        fp=("glpat-xxxxxxxxxxxxxxxxxxxx", "glpat-" + "A" * 20),
    ),
    Rule(
        id="slack-token", title="Slack token", provider="slack",
        pattern=r"\b(xox[bpaers]-(?:[0-9]{6,}-){1,3}[0-9A-Za-z]{8,})", group=1,
        keywords=("xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxr-", "xoxs-"), min_entropy=3.0,
        show_prefix=5,
        rotation="Slack: api.slack.com/apps > your app > OAuth & Permissions > revoke tokens, "
                 "reinstall the app to issue new ones; check the workspace access logs.",
        tp=(_cat("SLACK_BOT_TOKEN=", "xox", "b-2401763528-5830126487913-", _noise(24, "slk")),
            _cat("xox", "p-1234509876-2345610987-3456721098-", "a3f9c2e7b1d84f6a9c0e5b7d2f1a8c3e")),
        fp=("xoxb-your-token-here", "xoxb-123456-xxxxxxxxxxxx"),
    ),
    Rule(
        id="slack-webhook", title="Slack incoming webhook URL", provider="slack",
        pattern=r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/"
                r"[A-Za-z0-9+/_-]{20,})",
        group=1, keywords=("hooks.slack.com",), min_entropy=3.5, show_prefix=24,
        rotation="Slack: api.slack.com/apps > Incoming Webhooks > remove the webhook and add a "
                 "new one; anyone with the URL can post to the channel.",
        tp=(_cat("https://hooks.slack", ".com/services/", "T04AB7CD9/B05EF8GH1/",
                 _noise(24, "slkhook")),),
        fp=("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "https://hooks.slack.com/services/your-webhook"),
    ),
    Rule(
        id="stripe-live-secret", title="Stripe live secret or restricted key", provider="stripe",
        pattern=r"\b([sr]k_live_[0-9A-Za-z]{20,247})\b", group=1,
        keywords=("sk_live_", "rk_live_"), min_entropy=3.5, show_prefix=8,
        rotation="Stripe: Dashboard > Developers > API keys > roll the key (choose an "
                 "expiry of now), update STRIPE_SECRET_KEY on the server, and review recent "
                 "API requests in the Dashboard log.",
        tp=(_cat("STRIPE_SECRET_KEY=", "sk", "_live_", "51Mz4QkLp9Rv2XwT7nB3cY8hJ"),
            _cat('secretKey:"', "rk", "_live_", '4eC39HqLyjWDarjtT1zdp7dc"')),
        fp=("pk_live_51Mz4QkLp9Rv2XwT7nB3cY8hJ", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
            "sk_live_<your-secret-key>"),
    ),
    Rule(
        id="stripe-test-secret", title="Stripe test-mode secret key", provider="stripe",
        pattern=r"\b([sr]k_test_[0-9A-Za-z]{20,247})\b", group=1,
        keywords=("sk_test_", "rk_test_"), min_entropy=3.5, live=False, show_prefix=8,
        rotation="Stripe: Dashboard (test mode) > Developers > API keys > roll the test key; "
                 "test keys cannot move money but expose your test data and webhooks.",
        tp=(_cat("sk", "_test_", "4eC39HqLyjWDarjtT1zdp7dc"),),
        fp=("pk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_test_YOUR_KEY_HERE_PLEASE"),
    ),
    Rule(
        id="twilio-api-key", title="Twilio API key", provider="twilio",
        pattern=r"(?i)twilio.{0,40}?\b(SK[0-9a-f]{32})\b", group=1,
        keywords=("twilio",), min_entropy=3.0, show_prefix=2,
        rotation="Twilio: Console > Account > API keys & tokens > delete the key and create a "
                 "new one; rotate the auth token too if it was alongside.",
        tp=(_cat("TWILIO_API_KEY=", "SK", "3f9a1c7e2b8d4f6a0c5e9b1d7f3a2c8e"),),
        fp=("TWILIO_API_KEY=SK" + "0" * 32, _cat("SK", "3f9a1c7e2b8d4f6a0c5e9b1d7f3a2c8e")),
    ),
    Rule(
        id="twilio-auth-token", title="Twilio auth token", provider="twilio",
        pattern=r"(?i)twilio[a-z_]{0,20}(?:auth|token|secret)[a-z_]{0,20}[\"']?\s{0,4}"
                r"(?::=|=>|=|:)\s{0,4}[\"']?([0-9a-f]{32})\b",
        group=1, keywords=("twilio",), min_entropy=3.0,
        rotation="Twilio: Console > Account > API keys & tokens > request a secondary auth "
                 "token, promote it to primary, and update every service that used the old one.",
        tp=(_cat("TWILIO_AUTH_TOKEN=", "9c2e7b1d84f6a3f9c0e5b7d2f1a8c3e4"),),
        fp=("TWILIO_AUTH_TOKEN=your_auth_token", "TWILIO_AUTH_TOKEN=" + "f" * 32),
    ),
    Rule(
        id="sendgrid-api-key", title="SendGrid API key", provider="sendgrid",
        pattern=r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})" + _END, group=1,
        keywords=("sg.",), min_entropy=4.0, show_prefix=3,
        rotation="SendGrid: Settings > API Keys > delete the key, create a new restricted key "
                 "(Mail Send only) and check Activity for mail you did not send.",
        tp=(_cat("SENDGRID_API_KEY=", "SG", ".", _noise(22, "sg1"), ".", _noise(43, "sg2")),),
        fp=("SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "SG.table.column"),
    ),
    Rule(
        id="mailgun-api-key", title="Mailgun API key", provider="mailgun",
        pattern=r"\b(key-[0-9a-f]{32})\b", group=1,
        keywords=("key-",), min_entropy=3.0, show_prefix=4,
        rotation=_MAILGUN,
        tp=(_cat("MAILGUN_API_KEY=", "key", "-3f9a1c7e2b8d4f6a0c5e9b1d7f3a2c8e"),),
        fp=("key-value store", "key-00000000000000000000000000000000"),
    ),
    Rule(
        id="mailgun-sending-key", title="Mailgun sending key", provider="mailgun",
        pattern=r"(?i)mailgun.{0,40}?\b([0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})\b", group=1,
        keywords=("mailgun",), min_entropy=3.0,
        rotation=_MAILGUN,
        tp=(_cat("mailgun_key: ", "9c2e7b1d84f6a3f9c0e5b7d2f1a8c3e4", "-1a2b3c4d-5e6f7a8b"),),
        fp=("mailgun_key: 00000000000000000000000000000000-00000000-00000000",),
    ),
    Rule(
        id="postmark-server-token", title="Postmark server token", provider="postmark",
        pattern=r"(?i)postmark.{0,40}?\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                r"[0-9a-f]{12})\b",
        group=1, keywords=("postmark",), min_entropy=3.0,
        rotation="Postmark: Servers > your server > API Tokens > generate a new token, deploy "
                 "it, then delete the old one.",
        tp=(_cat("POSTMARK_SERVER_TOKEN=",
                 "9c2e7b1d-84f6-4a3f-9c0e-5b7d2f1a8c3e"),),
        fp=("POSTMARK_SERVER_TOKEN=00000000-0000-0000-0000-000000000000",
            _cat("request-id ", "9c2e7b1d-84f6-4a3f-9c0e-5b7d2f1a8c3e")),
    ),
    Rule(
        id="openai-api-key", title="OpenAI API key", provider="openai",
        pattern=r"\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,200}|"
                r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})" + _END,
        group=1, keywords=("sk-proj-", "sk-svcacct-", "sk-admin-", "t3blbkfj"),
        min_entropy=4.0, show_prefix=8,
        rotation="OpenAI: platform.openai.com > API keys > revoke the key, create a new "
                 "project-scoped key, and check Usage for spend you did not make.",
        tp=(_cat("OPENAI_API_KEY=", "sk", "-proj-", _noise(48, "oai")),
            _cat("sk", "-Qk3Lm8Rz2Vx7Nw4Tb9Yc", "T3Blbk", "FJHd6Jf0Gs5Ae2Ku7Tw3Qi")),
        fp=("sk-proj-your-key-goes-here-xxxxxxxxxxxxxxxxxxxxxxxx", "sk-1234"),
    ),
    Rule(
        id="anthropic-api-key", title="Anthropic API key", provider="anthropic",
        pattern=r"\b(sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,120})" + _END,
        group=1, keywords=("sk-ant-",), min_entropy=4.0, show_prefix=7,
        rotation="Anthropic: console.anthropic.com > Settings > API keys > disable and delete "
                 "the key, create a new one, and check Usage.",
        tp=(_cat("ANTHROPIC_API_KEY=", "sk-", "ant-api03-",
                 "Qk3Lm8Rz2Vx7Nw4Tb9Yc1Hd6Jf0Gs5Ae2Ku7Tw3Qi8Ro1Pe4Wn9Zm6Xb3Cv7Bn1Mq5Ls8Kt2Jv4Hx6Gz9Fy3Dw-AA"),),
        fp=("sk-ant-api03-xxxxxxxx", "sk-ant-api03-<your-key>"),
    ),
    Rule(
        id="google-api-key", title="Google API key", provider="google",
        pattern=r"\b(AIza[0-9A-Za-z_-]{35})" + _END, group=1,
        keywords=("aiza",), min_entropy=3.5, live=False, show_prefix=4,
        rotation="Google Cloud: APIs & Services > Credentials > regenerate the key, then "
                 "restrict it (HTTP referrers or IPs, and the APIs it may call).",
        tp=(_cat("GOOGLE_API_KEY=", "AI", "za", _noise(35, "gapi")),),
        fp=("AIzaxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AIzaSy-short"),
    ),
    Rule(
        id="gcp-service-account", title="Google Cloud service-account key", provider="gcp",
        pattern=r"\"private_key_id\"\s*:\s*\"([0-9a-f]{40})\"", group=1,
        keywords=("private_key_id",), min_entropy=3.0,
        rotation="Google Cloud: IAM & Admin > Service accounts > Keys > delete the key, create "
                 "a new one (or move to workload identity), and check the audit logs.",
        tp=(_cat('{"type": "service_account", "private_key_id": "',
                 "3f9a1c7e2b8d4f6a0c5e9b1d7f3a2c8e4b6d1f0a", '"}'),),
        fp=('"private_key_id": "0000000000000000000000000000000000000000"',
            '"private_key_id": "<key-id>"'),
    ),
    Rule(
        id="azure-storage-key", title="Azure storage account key", provider="azure",
        pattern=r"(?i)AccountKey=([A-Za-z0-9+/]{86}==)", group=1,
        keywords=("accountkey=",), min_entropy=4.0,
        rotation="Azure: Storage account > Security + networking > Access keys > rotate the "
                 "key that leaked (use the other key meanwhile); prefer SAS or managed identity.",
        tp=(_cat("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=",
                 _noise(86, "azure", _B64), "==;"),),
        fp=("AccountKey=" + "A" * 86 + "==", "AccountKey=<storage-key>"),
    ),
    Rule(
        id="npm-token", title="npm access token", provider="npm",
        pattern=r"\b(npm_[A-Za-z0-9]{36})\b", group=1,
        keywords=("npm_",), validate=_checksum_ok, show_prefix=4,
        rotation="npm: npmjs.com > Access Tokens > delete the token (`npm token revoke ID`), "
                 "create a granular token, and check your packages' recent versions.",
        tp=(f"//registry.npmjs.org/:_authToken={make_checksummed_token('np' + 'm', _NPM_BODY)}",),
        fp=(_cat("np", "m_", _NPM_BODY, "ZZZZZZ"), "npm_config_cache"),
    ),
    Rule(
        id="pypi-token", title="PyPI API token", provider="pypi",
        pattern=r"\b(pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,})", group=1,
        keywords=("pypi-ageichlwas5vcmc", "pypi-agendgvzdc5wexbplm9yzw"), min_entropy=4.0,
        show_prefix=5,
        rotation="PyPI: Account settings > API tokens > remove the token, create a "
                 "project-scoped one (or use trusted publishing), check recent releases.",
        tp=(_cat("password = ", "pypi-", "AgEIcHlwaS5vcmc", _noise(60, "pypi")),),
        fp=("pypi-AgEIcHlwaS5vcmc", "pypi-token-goes-here"),
    ),
    Rule(
        id="private-key", title="Private key", provider="private-key",
        pattern=r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?"
                r"-----((?:[A-Za-z0-9+/=\s]|\\n|\\r|[A-Za-z-]+: [^\r\n\\]*)+)",
        group=1, keywords=("private key",), validate=_private_key_ok, multiline=True,
        rotation="Replace the key pair: generate a new key, install the new public key where "
                 "the old one was trusted (servers, deploy keys, certificates, PGP keyservers), "
                 "then remove and revoke the old one.",
        tp=(_cat("-----BEGIN ", "RSA PRIVATE KEY-----\n",
                 "MIIEowIBAAKCAQEAq8Zt3LkP9vWm2Xr7Bn4Yc6Hd1Jf5Gs0Ae+Ku/TwQiEl4Nq7Rt2\n",
                 "Vx9Zb3Cd6Fg8Hj1Kp5Sw0Ty+Ua/Ie7Ob2RcLm4Nq7Rt2Vx9Zb3Cd6Fg8Hj1Kp5Sw\n",
                 "-----END RSA PRIVATE KEY-----"),
            _cat('"private_key": "-----BEGIN ', "PRIVATE KEY-----\\n",
                 "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7Zt3LkP9vWm2Xr7\\n",
                 "Bn4Yc6Hd1Jf5Gs0Ae+Ku/TwQiEl4Nq7Rt2Vx9Zb3Cd6Fg8Hj1Kp5Sw0Ty+Ua/Ie7\\n",
                 '-----END PRIVATE KEY-----\\n"')),
        fp=("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAq8Zt3LkP9vWm2"
            "Xr7Bn4Yc6Hd1Jf5Gs0Ae\n-----END PUBLIC KEY-----"),
    ),
    Rule(
        id="jwt", title="Signed JSON Web Token", provider="jwt",
        pattern=r"\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})", group=1,
        keywords=("eyj",), validate=_jwt_ok, live=False, show_prefix=3,
        rotation="JWT: a signed token stays valid until it expires; rotate the signing key "
                 "(or revoke the session/API key it represents) so it stops being accepted.",
        tp=(_cat("Authorization: Bearer ", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", ".",
                 "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFjbWUifQ", ".",
                 "Qk3Lm8Rz2Vx7Nw4Tb9Yc1Hd6Jf0Gs5Ae2Ku7Tw3Qi8"),),
        fp=("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.", "eyJfoo.eyJbar.baz"),
    ),
    Rule(
        id="database-url", title="Database URL with a password", provider="database",
        pattern=r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|"
                r"sqlserver|cockroachdb)://[^:/\s\"'@]{0,64}:([^@\s\"'/]{3,128})@[A-Za-z0-9._\[\]-]+",
        group=1, keywords=("postgres", "mysql", "mariadb", "mongodb", "redis", "amqp", "mssql",
                           "sqlserver", "cockroachdb"),
        validate=_password_ok,
        rotation="Database: change the user's password (`ALTER ROLE app WITH PASSWORD '...'` "
                 "in PostgreSQL), update DATABASE_URL everywhere it is set, and restrict the "
                 "database to your app's network.",
        tp=(_cat("DATABASE_URL=postgres://acme:", "Zq8Lm2Rt7Vx4Nb9K", "@db.acme.example:5432/app"),
            _cat("mongodb+srv://admin:", "w7Kp2Qz9Lm4R", "@cluster0.acme.example/prod")),
        fp=("postgres://user:password@localhost/db", "postgres://acme:${DB_PASSWORD}@db/app",
            "postgres://localhost:5432/app"),
    ),
    Rule(
        id="url-credentials", title="URL with embedded credentials", provider="url",
        pattern=r"(?i)\b(?:https?|ftp)://[^:/\s\"'@]{1,64}:([^@\s\"'/]{3,128})@[A-Za-z0-9.-]+",
        group=1, keywords=("http://", "https://", "ftp://"), validate=_password_ok,
        rotation="Change the password (or token) in the URL at the service it belongs to, "
                 "and pass credentials in a header or environment variable, not the URL.",
        tp=(_cat("GET https://deploy:", "Tq9Zk2Lm7Vx4", "@registry.acme.example/v2/"),),
        fp=("https://user:pass@example.com", "see https://docs.acme.example/a:b@c",
            "https://${USER}:${TOKEN}@git.acme.example"),
    ),
    Rule(
        id="generic-secret", title="High-entropy secret assignment", provider="generic",
        pattern=r"(?i)[a-z0-9_.-]{0,40}(?:password|passwd|pwd|secret|api[_-]?key|apikey|"
                r"access[_-]?key|auth[_-]?token|token)[a-z0-9_.-]{0,40}[\"']?\s{0,4}"
                r"(?::=|=>|=|:)\s{0,4}[\"'`]?([^\s\"'`;,)\]}]{8,128})",
        group=1, keywords=("password", "passwd", "pwd", "secret", "api_key", "api-key",
                           "apikey", "access_key", "access-key", "token"),
        min_entropy=3.5, validate=_generic_ok, live=False, generic=True,
        rotation="Change the credential at the service that issued it, then read it from an "
                 "environment variable or secret store instead of the file.",
        tp=(_cat("SESSION_SECRET=", "f9Kq2Lz7Wm4Rx8Vt3Nb6Yc1"),
            _cat('db_password: "', "Xr7Bn4Yc6Hd1Jf5G", '"')),
        fp=("password = os.environ['PASSWORD']", "token: ${{ secrets.GITHUB_TOKEN }}",
            "SECRET_KEY=changeme", "password=hunter2", "api_key = config.api_key",
            "token_type: bearer_token_value", "password: <your-password>"),
    ),
)

BY_RULE_ID: dict[str, Rule] = {r.id: r for r in RULES}

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
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from launchready.secrets import generic
from launchready.secrets.values import LOCAL_PASSWORDS, shannon_entropy

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_B64 = ALNUM + "+/"
_HEX = "0123456789abcdef"


def _cat(*parts: str) -> str:
    return "".join(parts)


def noise(n: int, seed: str, alphabet: str = ALNUM) -> str:
    """``n`` deterministic random-looking characters (example values that are no one's key)."""
    out: list[str] = []
    counter = 0
    while len(out) < n:
        block = hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        out.extend(alphabet[b % len(alphabet)] for b in block)
        counter += 1
    return "".join(out[:n])


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


#: hosts of documentation examples (RFC 2606/6761): a URL there is no one's credential
_DOC_HOSTS = ("example.com", "example.org", "example.net")
_DOC_SUFFIXES = (".invalid", ".example.com", ".example.org", ".example.net")


def _url_host(data: bytes, ve: int) -> str:
    end = ve + 1
    while end < len(data) and end - ve < 260 and data[end] not in b":/?#\"'` \t\r\n,;)]}>":
        end += 1
    return data[ve + 1:end].decode("ascii", "replace").lower().strip("[]")


def _url_user(data: bytes, vs: int) -> str:
    at = data.rfind(b"//", max(0, vs - 80), vs)
    return "" if at == -1 else data[at + 2:vs - 1].decode("ascii", "replace").lower()


def is_local_host(host: str) -> bool:
    """Loopback, ``localhost``, Docker's host alias, or a one-label name (a compose service)."""
    return (host in ("localhost", "0.0.0.0", "::1", "host.docker.internal")  # noqa: S104
            or host.endswith((".localhost", ".local", ".test"))
            or host.startswith("127.") or ("." not in host and ":" not in host))


def _url_context(data: bytes, vs: int, ve: int) -> str | None:
    # A URL password is a live credential unless the URL points at this machine or a
    # container next to it, or the password is one that local setups use on purpose.
    host = _url_host(data, ve)
    if host in _DOC_HOSTS or host.endswith(_DOC_SUFFIXES):
        return None
    if is_local_host(host):
        return f"local default: the URL points at {host}, a local or container service"
    password = data[vs:ve].decode("utf-8", "replace").lower()
    if password in LOCAL_PASSWORDS or password == _url_user(data, vs):
        return "local default: a well-known placeholder password"
    return ""


#: how far (bytes) a context judgement looks from the value; scans that join unrelated texts
#: into one buffer keep them further apart than this
CONTEXT_REACH = 400


def _firebase_context(data: bytes, vs: int, ve: int) -> str:
    # Firebase web configs ship the API key to every browser by design: it identifies the
    # project and is safe only when restricted, so it is worth a look but is no leak.
    near = data[max(0, vs - CONTEXT_REACH):ve + CONTEXT_REACH].lower()
    if any(k in near for k in (b"firebase", b"authdomain", b"messagingsenderid",
                               b"measurementid", b"next_public_", b"vite_", b"expo_public_")):
        return ("public web API key: browsers receive it by design; restrict it by HTTP "
                "referrer and API in the Google Cloud console")
    return ""


def _public_by_design(why: str) -> Callable[[bytes, int, int], str]:
    """The context of a key made to be public: always a low finding that says why."""
    def judge(data: bytes, vs: int, ve: int) -> str:
        return f"public by design: {why}"
    return judge


def _azurite_context(data: bytes, vs: int, ve: int) -> str:
    # Azurite, the local storage emulator, has one published key for every install
    near = data[max(0, vs - 300):ve + 300].lower()
    if any(k in near for k in (b"devstoreaccount1", b"127.0.0.1", b"localhost", b"azurite")):
        return "local default: the storage emulator's published development key"
    return ""


def _generic_context(data: bytes, vs: int, ve: int) -> str:
    # ``http://localhost:8888/?token=...`` (a notebook or dev server printing its one-off
    # token) is a value for a server on this machine only
    start = data.rfind(b"\n", max(0, vs - 300), vs) + 1
    before = data[start:vs].lower()
    if b"://" in before and any(h in before for h in (b"localhost", b"127.0.0.1", b"0.0.0.0",
                                                      b"[::1]")):
        return "local default: a token for a server on this machine"
    section = environment_section(data, vs)
    if section is not None:
        return f"local default: a value for the {section} environment only"
    service = local_service(data, start, vs, ve)
    if service is not None:
        return f"local default: {service}, so this is a local service's value"
    return ""


#: the key a value is assigned to, at the end of the text before the value
_KEY_BEFORE = re.compile(rb"(([A-Za-z][A-Za-z0-9]*)[_.-][A-Za-z0-9_.-]*)[\"'\]]?[ \t]*"
                         rb"(?::=|=>|[:=])[ \t]*[\"'`]?$")
#: words of a key the application owns (it signs or encrypts with it wherever it runs), not a
#: credential for reaching a service
_APP_KEY_WORDS = frozenset({"secret", "signing", "encryption", "jwt", "session", "cookie",
                            "nextauth"})


def local_service(data: bytes, line_start: int, vs: int, ve: int) -> str | None:
    """``QSTASH_URL points at 127.0.0.1`` when a key next to the value's, of the same service
    (``QSTASH_TOKEN`` beside ``QSTASH_URL``), gives that service a local address: CI jobs and
    dev setups run the service (and its published token) on this machine. None otherwise."""
    key = _KEY_BEFORE.search(data, line_start, vs)
    if key is None or _APP_KEY_WORDS.intersection(generic.key_parts(key.group(1).decode(
            "ascii", "replace"))):
        return None  # NEXTAUTH_SECRET beside NEXTAUTH_URL=localhost is still the app's key
    near = re.compile(rb"(?im)^[ \t-]*(%s[A-Za-z0-9_.-]*(?:url|uri|host|endpoint|addr))"
                      rb"[\"']?[ \t]*[:=][ \t]*[\"']?(?:[a-z][a-z0-9+.-]*://)?"
                      rb"(?:[^\s\"'@/]*@)?(\[[0-9a-f:]+\]|[^\s\"'/:?#]+)" % re.escape(key.group(2)))
    window = data[max(0, vs - CONTEXT_REACH):ve + CONTEXT_REACH]
    for m in near.finditer(window):
        host = m.group(2).decode("ascii", "replace").lower()
        if is_local_host(host.strip("[]")):
            return f"{m.group(1).decode('ascii', 'replace')} points at {host}"
    return None


#: a top-level section of a per-environment YAML file (Rails' ``secrets.yml``/``database.yml``)
_ENV_SECTION = re.compile(rb"^(development|dev|test|local):[ \t]*(?:#.*)?\r?$", re.M)
_PRODUCTION_SECTION = re.compile(rb"^production:[ \t]*(?:[#&].*)?\r?$", re.M)
#: how far (bytes) the section header above a value is looked for
_SECTION_REACH = 1 << 16


def environment_section(data: bytes, at: int) -> str | None:
    """``development`` or ``test`` when offset ``at`` sits in that top-level section of a YAML
    file that has a ``production:`` section too (the shape of Rails' per-environment files), so
    the value is a development or test default; None elsewhere (a CI job called ``test:`` has
    no ``production:`` sibling, and an indented key is no section)."""
    if _PRODUCTION_SECTION.search(data) is None:
        return None
    pos = at
    floor = max(0, at - _SECTION_REACH)
    while pos > floor:
        start = data.rfind(b"\n", floor, pos - 1) + 1
        line = data[start:pos].rstrip(b"\r\n")
        if line[:1] not in (b"", b" ", b"\t", b"#", b"-") and start < at:
            m = _ENV_SECTION.match(line)
            return m.group(1).decode() if m is not None else None
        if start <= floor:
            break
        pos = start
    return None


def _jwt_claims(value: bytes) -> dict[str, object] | None:
    parts = value.decode("ascii", "replace").split(".")
    try:
        claims = _b64url_json(parts[1])
    except (ValueError, binascii.Error, UnicodeDecodeError, IndexError):
        return None
    return claims if isinstance(claims, dict) else None


def _service_role_ok(value: bytes) -> bool:
    claims = _jwt_claims(value)
    return _jwt_ok(value) and claims is not None and claims.get("role") == "service_role"


def _plain_jwt_ok(value: bytes) -> bool:
    # Supabase's anon key is published to browsers by design (row-level security guards the
    # data); its service_role key is the secret one and has a rule of its own.
    claims = _jwt_claims(value)
    return _jwt_ok(value) and not (claims is not None
                                   and claims.get("role") in ("service_role", "anon"))


def _slack_ok(value: bytes) -> bool:
    # the last part of a real token is random letters and digits; an all-digit tail is a
    # redacted or truncated example (``xoxp-1234-5678-####``)
    tail = value.rsplit(b"-", 1)[-1]
    return any(chr(c).isalpha() for c in tail)


def _password_ok(value: bytes) -> bool:
    # user:pass@ in a URL: the password must not be a placeholder word or a template variable.
    low = value.lower()
    return low not in (b"password", b"pass", b"passwd", b"secret", b"pwd", b"root") \
        and not low.startswith((b"$", b"%", b"{", b"<", b"*"))


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One credential type."""

    id: str
    title: str
    provider: str
    #: RE2-compatible pattern; ``group`` selects the secret value (0 = the whole match)
    pattern: str = ""
    #: instead of ``pattern``: finds (start, end, value) in one line of a file of a language
    #: family (see :mod:`launchready.secrets.generic`)
    finder: Callable[[bytes, str], Iterator[tuple[int, int, bytes]]] | None = None
    #: judges where a value was found (buffer, value start, end): None drops it (a
    #: documentation example), "" keeps it, any other text is why it is only a low finding
    context: Callable[[bytes, int, int], str | None] | None = None
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
    #: with ``finder``: a regex matching the lines the finder could accept; it reads only those
    gate: bytes = b""
    #: rules whose match of the same text this rule's match replaces (a Clerk secret key has
    #: the shape of a Stripe key; the name of the variable tells them apart)
    replaces: tuple[str, ...] = ()
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

#: between a provider-named key and its value: an assignment (``KEY = "v"``, ``key: v``,
#: ``key => v``), or the end of an element, the value possibly on the next line
_ASSIGN = r"(?:[\"']?\s{0,4}(?::=|=>|=|:)\s{0,4}[\"']?|>\s{0,80})"


def _keyed(provider: str, key: str, value: str, end: str, *, gap: str = "[a-z_]{0,20}",
           tail: str = "[a-z_]{0,20}") -> str:
    """A credential assigned to a key that names its provider: on one line
    (``TWILIO_AUTH_TOKEN=...``), as an element (``<twilioAuthToken>`` and the value, on the
    same or the next line), or in a block the provider's name opens one line up
    (``twilio:`` then ``  auth_token: ...``; ``"twilio": {`` then ``"authToken": "..."``)."""
    block = (rf"{provider}[\"']?\s{{0,4}}:\s{{0,4}}\{{?[ \t]*\r?\n\s{{0,40}}[\"']?"
             rf"[a-z_]{{0,20}}")
    return rf"(?i)(?:{provider}{gap}|{block}){key}{tail}{_ASSIGN}({value}){end}"


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
        pattern=_keyed("aws", "(?:secret|sk)", "[A-Za-z0-9/+]{40}", "(?:[^A-Za-z0-9/+]|$)",
                       gap=".{0,24}?", tail="[a-z_]{0,24}"),
        group=1, keywords=("aws",), min_entropy=4.0,
        rotation="AWS: create a new access key pair for the IAM user, deploy it, deactivate "
                 "and delete the old pair; check CloudTrail for calls made with it.",
        tp=("AWS_SECRET_ACCESS_KEY=" + noise(40, "aws1", _B64),
            'aws_secret_key: "' + noise(40, "aws2", _B64) + '"'),
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
        tp=(_cat("github", "_pat_", noise(22, "ghf1"), "_", noise(59, "ghf2")),),
        fp=("github_pat_" + "a" * 22 + "_" + "b" * 59, "github_pat_<your-token>"),
    ),
    Rule(
        id="gitlab-token", title="GitLab token", provider="gitlab",
        pattern=r"\b((?:glpat|glptt|gldt|glrt|glcbt|glffct|glft|glimt|glagent|gloas|glsoat)-"
                r"[0-9A-Za-z_-]{20,}|GR1348941[0-9A-Za-z_-]{20,})",
        group=1, keywords=("glpat-", "glptt-", "gldt-", "glrt-", "glcbt-", "glffct-", "glft-",
                           "glimt-", "glagent-", "gloas-", "glsoat-", "gr1348941"),
        min_entropy=3.5, show_prefix=6,
        rotation="GitLab: User settings > Access tokens > revoke the token, create a new one "
                 "with the minimum scopes and expiry; check the audit events.",
        tp=(_cat("GITLAB_TOKEN=", "glpat", "-", noise(20, "gl")),
            _cat("CI_JOB_TOKEN: ", "glcbt", "-64_", noise(20, "glcbt")),
            _cat("runner_token = '", "GR1348", "941", noise(20, "glrr"), "'"),
            _cat("gitlab_oauth_secret=", "gloas", "-", noise(64, "gloas"))),
        fp=("glpat-xxxxxxxxxxxxxxxxxxxx", "glpat-" + "A" * 20),
    ),
    Rule(
        id="slack-token", title="Slack token", provider="slack",
        pattern=r"\b(xox[bpaers]-(?:[0-9]-)?(?:[0-9]{6,}-){1,3}[0-9A-Za-z]{8,})", group=1,
        keywords=("xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxr-", "xoxs-"), min_entropy=3.0,
        validate=_slack_ok, show_prefix=5,
        rotation="Slack: api.slack.com/apps > your app > OAuth & Permissions > revoke tokens, "
                 "reinstall the app to issue new ones; check the workspace access logs.",
        tp=(_cat("SLACK_BOT_TOKEN=", "xox", "b-2401763528-5830126487913-", noise(24, "slk")),
            _cat("xox", "p-1234509876-2345610987-3456721098-", "a3f9c2e7b1d84f6a9c0e5b7d2f1a8c3e"),
            _cat("slack_app_token: ", "xox", "a-2-", "730461925-2810573946218-9301846627354-",
                 noise(34, "slka", _HEX))),
        fp=("xoxb-your-token-here", "xoxb-123456-xxxxxxxxxxxx",
            "xoxp-1234567890-1234567890-1234567890-####"),
    ),
    Rule(
        id="slack-webhook", title="Slack incoming webhook URL", provider="slack",
        pattern=r"(https?://hooks\.slack\.com/(?:services|workflows|triggers)/"
                r"[A-Za-z0-9+/_-]{20,})",
        group=1, keywords=("hooks.slack.com",), min_entropy=3.5, show_prefix=24,
        rotation="Slack: api.slack.com/apps > Incoming Webhooks > remove the webhook and add a "
                 "new one; anyone with the URL can post to the channel.",
        tp=(_cat("https://hooks.slack", ".com/services/", "T04AB7CD9/B05EF8GH1/",
                 noise(24, "slkhook")),),
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
        id="clerk-secret-key", title="Clerk secret key", provider="clerk",
        pattern=_keyed("clerk", "(?:secret|api)", "sk_live_[A-Za-z0-9]{20,100}", r"\b"),
        group=1, keywords=("clerk",), min_entropy=3.5, show_prefix=8,
        replaces=("stripe-live-secret",),
        rotation="Clerk: Dashboard > Configure > API keys > add a new secret key, deploy it as "
                 "CLERK_SECRET_KEY, then delete the leaked key; review the instance's users and "
                 "sessions for changes you did not make.",
        tp=(_cat("CLERK_SECRET_KEY=", "sk", "_live_", noise(46, "clerk")),
            _cat('clerk:\n  secret_key: "', "sk", "_live_", noise(46, "clerk2"), '"')),
        fp=(_cat("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=", "pk", "_live_", noise(46, "clerkpk")),
            "CLERK_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"),
    ),
    Rule(
        id="clerk-test-secret-key", title="Clerk development secret key", provider="clerk",
        pattern=_keyed("clerk", "(?:secret|api)", "sk_test_[A-Za-z0-9]{20,100}", r"\b"),
        group=1, keywords=("clerk",), min_entropy=3.5, live=False, show_prefix=8,
        replaces=("stripe-test-secret",),
        rotation="Clerk: Dashboard (development instance) > Configure > API keys > add a new "
                 "secret key and delete the leaked one; it reads and changes the development "
                 "instance's users.",
        tp=(_cat("CLERK_SECRET_KEY=", "sk", "_test_", noise(46, "clerkdev")),),
        fp=("CLERK_SECRET_KEY=sk_test_your_clerk_secret_key",),
    ),
    Rule(
        id="auth0-client-secret", title="Auth0 client secret", provider="auth0",
        pattern=_keyed("auth0", "(?:client)?[_-]?secret", "[A-Za-z0-9_-]{64}",
                       "(?:[^A-Za-z0-9_-]|$)"),
        group=1, keywords=("auth0",), min_entropy=4.0,
        rotation="Auth0: Dashboard > Applications > the application > Settings > rotate the "
                 "client secret, deploy the new one (AUTH0_CLIENT_SECRET), and review the "
                 "tenant logs for token requests you did not make.",
        tp=(_cat("AUTH0_CLIENT_SECRET=", noise(64, "auth0", ALNUM + "_-")),
            _cat('auth0:\n  client_secret: "', noise(64, "auth0b", ALNUM + "_-"), '"')),
        fp=("AUTH0_CLIENT_SECRET=${AUTH0_CLIENT_SECRET}",
            _cat("AUTH0_CLIENT_ID=", noise(32, "auth0id"))),
    ),
    Rule(
        id="plaid-secret", title="Plaid secret", provider="plaid",
        pattern=_keyed("plaid", "secret", "[0-9a-f]{30}", r"\b"),
        group=1, keywords=("plaid",), min_entropy=3.0,
        rotation="Plaid: Dashboard > Developers > Keys > rotate the secret of that environment, "
                 "deploy the new one (PLAID_SECRET) and delete the old one.",
        tp=(_cat("PLAID_SECRET=", noise(30, "plaid", _HEX)),
            _cat("PLAID_SANDBOX_SECRET='", noise(30, "plaid2", _HEX), "'")),
        fp=(_cat("PLAID_CLIENT_ID=", noise(24, "plaidid", _HEX)), "PLAID_SECRET=" + "0" * 30),
    ),
    Rule(
        id="twilio-api-key", title="Twilio API key", provider="twilio",
        pattern=r"(?i)twilio(?s:.){0,40}?\b(SK[0-9a-f]{32})\b", group=1,
        keywords=("twilio",), min_entropy=3.0, show_prefix=2,
        rotation="Twilio: Console > Account > API keys & tokens > delete the key and create a "
                 "new one; rotate the auth token too if it was alongside.",
        tp=(_cat("TWILIO_API_KEY=", "SK", "3f9a1c7e2b8d4f6a0c5e9b1d7f3a2c8e"),),
        fp=("TWILIO_API_KEY=SK" + "0" * 32, _cat("SK", "3f9a1c7e2b8d4f6a0c5e9b1d7f3a2c8e")),
    ),
    Rule(
        id="twilio-auth-token", title="Twilio auth token", provider="twilio",
        pattern=_keyed("twilio", "(?:auth|token|secret)", "[0-9a-f]{32}", r"\b"),
        group=1, keywords=("twilio",), min_entropy=3.0,
        rotation="Twilio: Console > Account > API keys & tokens > request a secondary auth "
                 "token, promote it to primary, and update every service that used the old one.",
        tp=(_cat("TWILIO_AUTH_TOKEN=", "9c2e7b1d84f6a3f9c0e5b7d2f1a8c3e4"),
            _cat("<twilioAuthToken>\n    ", "3b8f0d6a2c9e4f1b7a5d8c0e2f4a6b9d", "\n"),
            _cat("twilio:\n  auth_token: ", "7e1c9a4f2b8d0e6c3a5f7b9d1e2c4a8f")),
        fp=("TWILIO_AUTH_TOKEN=your_auth_token", "TWILIO_AUTH_TOKEN=" + "f" * 32),
    ),
    Rule(
        id="sendgrid-api-key", title="SendGrid API key", provider="sendgrid",
        pattern=r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})" + _END, group=1,
        keywords=("sg.",), min_entropy=4.0, show_prefix=3,
        rotation="SendGrid: Settings > API Keys > delete the key, create a new restricted key "
                 "(Mail Send only) and check Activity for mail you did not send.",
        tp=(_cat("SENDGRID_API_KEY=", "SG", ".", noise(22, "sg1"), ".", noise(43, "sg2")),),
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
        pattern=r"(?i)mailgun(?s:.){0,40}?\b([0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})\b",
        group=1,
        keywords=("mailgun",), min_entropy=3.0,
        rotation=_MAILGUN,
        tp=(_cat("mailgun_key: ", "9c2e7b1d84f6a3f9c0e5b7d2f1a8c3e4", "-1a2b3c4d-5e6f7a8b"),),
        fp=("mailgun_key: 00000000000000000000000000000000-00000000-00000000",),
    ),
    Rule(
        id="postmark-server-token", title="Postmark server token", provider="postmark",
        pattern=r"(?i)postmark(?s:.){0,40}?\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
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
        tp=(_cat("OPENAI_API_KEY=", "sk", "-proj-", noise(48, "oai")),
            _cat("sk", "-Qk3Lm8Rz2Vx7Nw4Tb9Yc", "T3Blbk", "FJHd6Jf0Gs5Ae2Ku7Tw3Qi")),
        fp=("sk-proj-your-key-goes-here-xxxxxxxxxxxxxxxxxxxxxxxx", "sk-1234"),
    ),
    Rule(
        id="anthropic-api-key", title="Anthropic API key", provider="anthropic",
        pattern=r"\b(sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{93}AA)" + _END,
        group=1, keywords=("sk-ant-",), min_entropy=4.0, show_prefix=7,
        rotation="Anthropic: console.anthropic.com > Settings > API keys > disable and delete "
                 "the key, create a new one, and check Usage.",
        tp=(_cat("ANTHROPIC_API_KEY=", "sk-", "ant-api03-", noise(93, "ant"), "AA"),),
        fp=("sk-ant-api03-xxxxxxxx", "sk-ant-api03-<your-key>",
            _cat("sk-", "ant-api03-", noise(93, "ant"), "Qz")),
    ),
    Rule(
        id="google-api-key", title="Google API key", provider="google",
        pattern=r"\b(AIza[0-9A-Za-z_-]{35})" + _END, group=1,
        keywords=("aiza",), min_entropy=3.5, live=False, show_prefix=4,
        context=_firebase_context,
        rotation="Google Cloud: APIs & Services > Credentials > regenerate the key, then "
                 "restrict it (HTTP referrers or IPs, and the APIs it may call).",
        tp=(_cat("GOOGLE_API_KEY=", "AI", "za", noise(35, "gapi")),),
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
        keywords=("accountkey=",), min_entropy=4.0, context=_azurite_context,
        rotation="Azure: Storage account > Security + networking > Access keys > rotate the "
                 "key that leaked (use the other key meanwhile); prefer SAS or managed identity.",
        tp=(_cat("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=",
                 noise(86, "azure", _B64), "==;"),),
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
        tp=(_cat("password = ", "pypi-", "AgEIcHlwaS5vcmc", noise(60, "pypi")),),
        fp=("pypi-AgEIcHlwaS5vcmc", "pypi-token-goes-here"),
    ),
    Rule(
        id="private-key", title="Private key", provider="private-key",
        pattern=r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?"
                r"-----((?:[A-Za-z0-9+/=\s]|\\n|\\r|[A-Za-z-]+: [^\r\n\\]*)+)",
        group=1, keywords=("private key",), validate=_private_key_ok,
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
        keywords=("eyj",), validate=_plain_jwt_ok, live=False, show_prefix=3,
        rotation="JWT: a signed token stays valid until it expires; rotate the signing key "
                 "(or revoke the session/API key it represents) so it stops being accepted.",
        tp=(_cat("Authorization: Bearer ", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", ".",
                 "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFjbWUifQ", ".",
                 "Qk3Lm8Rz2Vx7Nw4Tb9Yc1Hd6Jf0Gs5Ae2Ku7Tw3Qi8"),),
        fp=("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.", "eyJfoo.eyJbar.baz"),
    ),
    Rule(
        id="database-url", title="Database URL with a password", provider="database",
        pattern=r"(?i)\b(?:postgres(?:ql)?|postgis|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|"
                r"sqlserver|cockroachdb)://[^:/\s\"'@]{0,64}:([^@\s\"'/]{3,128})@[A-Za-z0-9._\[\]-]+",
        group=1, keywords=("postgres", "postgis", "mysql", "mariadb", "mongodb", "redis", "amqp",
                           "mssql", "sqlserver", "cockroachdb"),
        validate=_password_ok, context=_url_context,
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
        context=_url_context,
        rotation="Change the password (or token) in the URL at the service it belongs to, "
                 "and pass credentials in a header or environment variable, not the URL.",
        tp=(_cat("GET https://deploy:", "Tq9Zk2Lm7Vx4", "@registry.acme.example/v2/"),),
        fp=("https://user:pass@example.com", "see https://docs.acme.example/a:b@c",
            "https://${USER}:${TOKEN}@git.acme.example",
            "dsn = 'https://1234abcd:5678ef@sentry.example.com/30'"),
    ),
    Rule(
        id="slack-app-token", title="Slack app-level or configuration token", provider="slack",
        pattern=r"\b(xapp-[0-9]-[A-Z0-9]{8,}-[0-9]{8,}-[0-9a-f]{32,}|"
                r"xoxe(?:\.xox[bp])?-[0-9]-[A-Za-z0-9]{140,})",
        group=1, keywords=("xapp-", "xoxe"), min_entropy=3.5, show_prefix=5,
        rotation="Slack: api.slack.com/apps > your app > Basic Information > App-Level Tokens "
                 "(or Your App Configuration Tokens) > revoke the token and generate a new one.",
        tp=(_cat("SLACK_APP_TOKEN=", "xapp", "-1-A05QK3LM8RZ-5830126487913-",
                 noise(64, "xapp", _HEX)),
            _cat("xoxe", ".xoxp-1-", noise(163, "xoxe1")),
            _cat("refresh: ", "xoxe", "-1-", noise(146, "xoxe2"))),
        fp=("xapp-1-XXXXXXXX-0000000000-xxxx", "xoxe-1-short"),
    ),
    Rule(
        id="stripe-webhook-secret", title="Stripe webhook signing secret", provider="stripe",
        pattern=r"\b(whsec_[A-Za-z0-9]{32,64})\b", group=1,
        keywords=("whsec_",), min_entropy=3.5, show_prefix=6,
        rotation="Stripe: Dashboard > Developers > Webhooks > your endpoint > Roll secret; "
                 "update STRIPE_WEBHOOK_SECRET, then let the old secret expire.",
        tp=(_cat("STRIPE_WEBHOOK_SECRET=", "whsec", "_", noise(32, "whsec")),),
        fp=("whsec_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "whsec_..."),
    ),
    Rule(
        id="supabase-service-role-key", title="Supabase service-role key", provider="supabase",
        pattern=r"\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})", group=1,
        keywords=("eyj",), validate=_service_role_ok, show_prefix=3,
        rotation="Supabase: Project Settings > API > roll the JWT secret (or move to the new "
                 "secret API keys and revoke the legacy service_role key); the key bypasses "
                 "row-level security, so review the database for changes.",
        tp=(_cat("SUPABASE_SERVICE_ROLE_KEY=", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", ".",
                 base64.urlsafe_b64encode(b'{"iss":"supabase","ref":"qzkvlmrtwxnbcyhd",'
                                          b'"role":"service_role","iat":1700000000}')
                 .decode().rstrip("="), ".", noise(43, "sbjwt")),),
        fp=(_cat("NEXT_PUBLIC_SUPABASE_ANON_KEY=", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", ".",
                 base64.urlsafe_b64encode(b'{"iss":"supabase","role":"anon"}')
                 .decode().rstrip("="), ".", noise(43, "sbanon")),),
    ),
    Rule(
        id="supabase-secret-key", title="Supabase access token or secret key",
        provider="supabase",
        pattern=r"\b(sbp_[0-9a-f]{40}|sb_secret_[A-Za-z0-9_-]{24,64})" + _END, group=1,
        keywords=("sbp_", "sb_secret_"), min_entropy=3.5, show_prefix=4,
        rotation="Supabase: Account > Access Tokens (sbp_) or Project Settings > API Keys "
                 "(sb_secret_) > revoke the key and create a new one.",
        tp=(_cat("SUPABASE_ACCESS_TOKEN=", "sb", "p_", noise(40, "sbp", _HEX)),
            _cat("SUPABASE_SECRET_KEY=", "sb_", "secret_", noise(32, "sbsec"))),
        fp=("sbp_0000000000000000000000000000000000000000", "sb_secret_xxxxxxxxxxxxxxxxxxxxxxxx",
            _cat("sb_", "publishable_", noise(32, "sbpub"))),
    ),
    Rule(
        id="resend-api-key", title="Resend API key", provider="resend",
        pattern=r"\b(re_[A-Za-z0-9]{8}_[A-Za-z0-9]{24})\b", group=1,
        keywords=("re_",), min_entropy=3.5, show_prefix=3,
        rotation="Resend: Dashboard > API Keys > delete the key, create a new one limited to "
                 "sending from your domain, and check Emails for messages you did not send.",
        tp=(_cat("RESEND_API_KEY=", "re", "_", noise(8, "rs1"), "_", noise(24, "rs2")),),
        fp=("re_xxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxx", "store_settings_for_the_current_user"),
    ),
    Rule(
        id="mailchimp-api-key", title="Mailchimp API key", provider="mailchimp",
        pattern=r"\b([0-9a-f]{32}-us[0-9]{1,2})\b", group=1,
        keywords=tuple(f"-us{i}" for i in range(1, 10)), min_entropy=3.0,
        rotation="Mailchimp: Profile > Extras > API keys > disable the key and create a new "
                 "one; check the account's recent campaigns and audience exports.",
        tp=(_cat("MAILCHIMP_API_KEY=", noise(32, "mc", _HEX), "-us21"),),
        fp=("MAILCHIMP_API_KEY=00000000000000000000000000000000-us21", "lang=en-us1"),
    ),
    Rule(
        id="sentry-auth-token", title="Sentry auth token", provider="sentry",
        pattern=r"\b(sntrys_eyJ[A-Za-z0-9+/=]{40,400}_[A-Za-z0-9+/]{43}|sntryu_[0-9a-f]{64})"
                r"(?:[^A-Za-z0-9+/=_]|$)",
        group=1, keywords=("sntrys_", "sntryu_"), min_entropy=3.5, show_prefix=7,
        rotation="Sentry: Settings > Auth Tokens (or Organization Tokens) > revoke the token "
                 "and create a new one with only the scopes the release step needs.",
        tp=(_cat("SENTRY_AUTH_TOKEN=", "sntry", "s_", "eyJpYXQiOjE3MDAwMDAwMDAsInVybCI6",
                 noise(40, "sntrys", _B64), "_", noise(43, "sntrys2", _B64)),
            _cat("sntry", "u_", noise(64, "sntryu", _HEX))),
        fp=("sntryu_" + "0" * 64, "SENTRY_DSN=https://abc@o123.ingest.sentry.io/456"),
    ),
    Rule(
        id="vercel-token", title="Vercel access token", provider="vercel",
        pattern=_keyed("vercel", "(?:token|key)", "[A-Za-z0-9]{24}", "(?:[^A-Za-z0-9]|$)",
                       tail="[a-z_]{0,10}"),
        group=1, keywords=("vercel",), min_entropy=3.5,
        rotation="Vercel: Account Settings > Tokens > delete the token and create a new one "
                 "scoped to the team and with an expiry.",
        tp=(_cat("VERCEL_TOKEN=", noise(24, "vercel")),),
        fp=("VERCEL_TOKEN=${{ secrets.VERCEL_TOKEN }}", "VERCEL_ORG_ID=team_abc"),
    ),
    Rule(
        id="netlify-token", title="Netlify personal access token", provider="netlify",
        pattern=r"\b(nfp_[A-Za-z0-9]{36,40})\b", group=1,
        keywords=("nfp_",), min_entropy=3.5, show_prefix=4,
        rotation="Netlify: User settings > Applications > Personal access tokens > revoke "
                 "the token and create a new one with an expiry.",
        tp=(_cat("NETLIFY_AUTH_TOKEN=", "nf", "p_", noise(36, "nfp")),),
        fp=("nfp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",),
    ),
    Rule(
        id="flyio-token", title="Fly.io access token", provider="fly",
        pattern=r"\b(fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})", group=1,
        keywords=("fo1_", "fm1a_", "fm1r_", "fm2_"), min_entropy=3.5, show_prefix=4,
        rotation="Fly.io: `fly tokens list` then `fly tokens revoke ID` (or Dashboard > "
                 "Tokens); create a deploy token scoped to the one app that needs it.",
        tp=(_cat("FLY_API_TOKEN=", "fo", "1_", noise(43, "fly")),
            _cat("FLY_API_TOKEN=FlyV1 ", "fm", "2_", noise(120, "fly2", _B64))),
        fp=("fo1_" + "x" * 43,),
    ),
    Rule(
        id="render-api-key", title="Render API key", provider="render",
        pattern=r"\b(rnd_[A-Za-z0-9]{32})\b", group=1,
        keywords=("rnd_",), min_entropy=3.5, show_prefix=4,
        rotation="Render: Account Settings > API Keys > revoke the key and create a new one.",
        tp=(_cat("RENDER_API_KEY=", "rn", "d_", noise(32, "render")),),
        fp=("rnd_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "rnd_value = random()"),
    ),
    Rule(
        id="cloudflare-api-token", title="Cloudflare API token", provider="cloudflare",
        pattern=_keyed("(?:cloudflare|cf)", "(?:token|key)", "[A-Za-z0-9_-]{40}",
                       "(?:[^A-Za-z0-9_-]|$)", tail="[a-z_]{0,10}"),
        group=1, keywords=("cloudflare", "cf_api", "cf_token", "cf_key"), min_entropy=3.5,
        rotation="Cloudflare: My Profile > API Tokens > roll or delete the token and create "
                 "one limited to the zones and permissions it needs; check the audit log.",
        tp=(_cat("CLOUDFLARE_API_TOKEN=", noise(40, "cf", ALNUM + "_-")),
            _cat("CF_API_TOKEN: '", noise(40, "cf2"), "'")),
        fp=("CLOUDFLARE_API_TOKEN=${{ secrets.CLOUDFLARE_API_TOKEN }}",
            "CLOUDFLARE_ACCOUNT_ID=0000000000000000000000000000000000000000"),
    ),
    Rule(
        id="doppler-token", title="Doppler token", provider="doppler",
        pattern=r"\b(dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44})\b", group=1,
        keywords=("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
        min_entropy=3.5, show_prefix=6,
        rotation="Doppler: Project > Access (service tokens) or Account > Tokens > revoke the "
                 "token and issue a new one; every secret it could read must be rotated too.",
        tp=(_cat("DOPPLER_TOKEN=", "dp", ".st.", noise(43, "doppler")),),
        fp=("dp.st.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",),
    ),
    Rule(
        id="linear-api-key", title="Linear API key", provider="linear",
        pattern=r"\b(lin_(?:api|oauth)_[A-Za-z0-9]{40})\b", group=1,
        keywords=("lin_api_", "lin_oauth_"), min_entropy=3.5, show_prefix=8,
        rotation="Linear: Settings > Account > Security & access > API keys > revoke the key "
                 "and create a new one.",
        tp=(_cat("LINEAR_API_KEY=", "lin", "_api_", noise(40, "linear")),),
        fp=("lin_api_" + "x" * 40,),
    ),
    Rule(
        id="notion-token", title="Notion integration token", provider="notion",
        pattern=r"\b(ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})\b", group=1,
        keywords=("ntn_", "secret_"), min_entropy=3.5, show_prefix=4,
        rotation="Notion: Settings > Connections > Develop or manage integrations > your "
                 "integration > refresh the internal integration secret.",
        tp=(_cat("NOTION_TOKEN=", "nt", "n_", "48213759064", noise(35, "notion")),
            _cat("NOTION_API_KEY=", "sec", "ret_", noise(43, "notion2"))),
        fp=("secret_key_base_for_the_test_environment_only", "ntn_xxxxxxxx"),
    ),
    Rule(
        id="hubspot-private-app-token", title="HubSpot private app token", provider="hubspot",
        pattern=r"\b(pat-(?:na|eu|ap)[0-9]-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                r"[0-9a-f]{12})\b",
        group=1, keywords=("pat-na", "pat-eu", "pat-ap"), min_entropy=3.0, show_prefix=8,
        rotation="HubSpot: Settings > Integrations > Private Apps > your app > Auth > rotate "
                 "the access token.",
        tp=(_cat("HUBSPOT_TOKEN=", "pat", "-na1-", "9c2e7b1d-84f6-4a3f-9c0e-5b7d2f1a8c3e"),),
        fp=("pat-na1-00000000-0000-0000-0000-000000000000",),
    ),
    Rule(
        id="shopify-token", title="Shopify access token or shared secret", provider="shopify",
        pattern=r"\b(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b", group=1,
        keywords=("shpat_", "shpca_", "shppa_", "shpss_"), min_entropy=3.0, show_prefix=6,
        rotation="Shopify: Settings > Apps and sales channels > Develop apps > your app > API "
                 "credentials > rotate the token or secret; reinstall if required.",
        tp=(_cat("SHOPIFY_ACCESS_TOKEN=", "shp", "at_", noise(32, "shop", _HEX)),),
        fp=("shpat_00000000000000000000000000000000",),
    ),
    Rule(
        id="square-token", title="Square access token or application secret",
        provider="square",
        pattern=r"\b(EAAA[A-Za-z0-9_-]{60}|sq0atp-[A-Za-z0-9_-]{22}|sq0csp-[A-Za-z0-9_-]{43})"
                + _END,
        group=1, keywords=("eaaa", "sq0atp-", "sq0csp-"), min_entropy=3.5, show_prefix=4,
        rotation="Square: Developer Dashboard > your application > Credentials > replace the "
                 "access token or application secret; check Payments for activity.",
        tp=(_cat("SQUARE_ACCESS_TOKEN=", "EAAA", noise(60, "square", ALNUM + "-_")),),
        fp=("EAAA" + "x" * 60,),
    ),
    Rule(
        id="braintree-access-token", title="PayPal Braintree access token", provider="paypal",
        pattern=r"\b(access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32})", group=1,
        keywords=("access_token$",), min_entropy=3.5, show_prefix=24,
        rotation="PayPal/Braintree: Control Panel > Settings > API > revoke the access token "
                 "and generate a new one; check transactions for activity.",
        tp=(_cat("access_token", "$production$", noise(16, "bt1", ALNUM[:10] + ALNUM[36:]),
                 "$", noise(32, "bt2", _HEX)),),
        fp=("access_token$production$xxxxxxxxxxxxxxxx$" + "0" * 32,),
    ),
    Rule(
        id="plaid-access-token", title="Plaid access token", provider="plaid",
        pattern=r"\b(access-(?:production|development)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                r"[0-9a-f]{4}-[0-9a-f]{12})\b",
        group=1, keywords=("access-production-", "access-development-"), min_entropy=3.0,
        show_prefix=18,
        rotation="Plaid: call /item/access_token/invalidate for the Item (or remove it), and "
                 "rotate the client secret in the Dashboard > Team Settings > Keys.",
        tp=(_cat("plaid_token = '", "access-", "production-",
                 "9c2e7b1d-84f6-4a3f-9c0e-5b7d2f1a8c3e'"),),
        fp=("access-sandbox-9c2e7b1d-84f6-4a3f-9c0e-5b7d2f1a8c3e",
            "access-production-00000000-0000-0000-0000-000000000000"),
    ),
    Rule(
        id="algolia-admin-key", title="Algolia admin or write API key", provider="algolia",
        pattern=_keyed("algolia", "(?:admin|write|secret)", "[a-f0-9]{32}", r"\b"),
        group=1, keywords=("algolia",), min_entropy=3.0,
        rotation="Algolia: Settings > API Keys > regenerate the Admin API key (or delete the "
                 "write key) and keep only search-only keys in front-end code.",
        tp=(_cat("ALGOLIA_ADMIN_KEY=", noise(32, "algolia", _HEX)),),
        fp=(_cat("NEXT_PUBLIC_ALGOLIA_SEARCH_KEY=", noise(32, "algs", _HEX)),),
    ),
    Rule(
        id="airtable-api-key", title="Airtable legacy API key", provider="airtable",
        pattern=_keyed("airtable", "(?:api[_-]?key|key|token)", "[A-Za-z0-9]{17}",
                       "(?:[^A-Za-z0-9.]|$)"),
        group=1, keywords=("airtable",), min_entropy=3.0, live=False,
        rotation="Airtable retired legacy API keys in February 2024: check in Account > "
                 "Developer hub that the key no longer works, and move the code to a personal "
                 "access token with only the scopes and bases it needs.",
        tp=(_cat("AIRTABLE_API_KEY=", "key", noise(14, "airt")),
            _cat("airtable:\n  token: ", noise(17, "airt2"))),
        fp=(_cat("AIRTABLE_BASE_ID=", "app", noise(14, "airb")),
            "AIRTABLE_API_KEY=keyXXXXXXXXXXXXXX"),
    ),
    Rule(
        id="mapbox-secret-token", title="Mapbox secret token", provider="mapbox",
        pattern=r"\b(sk\.eyJ[A-Za-z0-9_-]{40,}\.[A-Za-z0-9_-]{20,})", group=1,
        keywords=("sk.eyj",), min_entropy=3.5, show_prefix=6,
        rotation="Mapbox: Account > Tokens > delete the secret token and create a new one; "
                 "public pk. tokens belong in front-end code, sk. tokens never.",
        tp=(_cat("MAPBOX_SECRET_TOKEN=", "sk", ".eyJ", noise(60, "mbx"), ".",
                 noise(22, "mbx2")),),
        fp=(_cat("pk", ".eyJ", noise(60, "mbxp"), ".", noise(22, "mbxp2")),),
    ),
    Rule(
        id="harness-api-key", title="Harness personal access or service account token",
        provider="harness",
        pattern=r"\b((?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20})\b",
        group=1, keywords=("pat.", "sat."), min_entropy=3.5, show_prefix=4,
        rotation="Harness: My Profile > My API Keys (or the service account's API keys) > "
                 "delete the token and create a new one with an expiry.",
        tp=(_cat("HARNESS_API_KEY=", "pat", ".", noise(22, "hns-acct"), ".",
                 noise(24, "hns-id"), ".", noise(20, "hns-secret")),
            _cat("token: ", "sat", ".", noise(22, "hns-acct2"), ".", noise(24, "hns-id2"), ".",
                 noise(20, "hns-secret2"))),
        fp=("pat.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxx",
            "const pat = config.pat.accountIdentifierFromSettings.value"),
    ),
    Rule(
        id="telegram-bot-token", title="Telegram bot token", provider="telegram",
        # the bot's numeric id, a colon, then 35 characters starting with ``A``; in a Bot API
        # URL it follows ``/bot`` directly
        pattern=r"(?:^|[^0-9A-Za-z]|bot)([0-9]{5,16}:A[A-Za-z0-9_-]{34})(?:[^A-Za-z0-9_-]|$)",
        group=1, keywords=("telegram", "bot"), min_entropy=3.5,
        rotation="Telegram: message @BotFather, send /revoke and pick the bot; it issues a new "
                 "token and the old one stops working.",
        tp=(_cat("TELEGRAM_BOT_TOKEN=", noise(10, "tg-id", "0123456789"), ":AA",
                 noise(33, "tg-secret", ALNUM + "_-")),
            _cat('fetch(`https://api.telegram.org/bot', noise(9, "tg-id2", "0123456789"), ":AA",
                 noise(33, "tg-secret2", ALNUM + "_-"), '/sendMessage`)')),
        fp=('<xsd:element name="Code" type="clm12345:AgencyIdentificationCodeContentType"/>',
            "TELEGRAM_BOT_TOKEN=123456789:AAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ),
    Rule(
        id="twitter-bearer-token", title="X (Twitter) API bearer token",
        provider="x",
        # app-only bearer tokens: 21 ``A``s, then URL-escaped base64 (``%2B``, ``%3D``)
        pattern=r"\b(A{21}[A-Za-z0-9%]{80,110})(?:[^A-Za-z0-9%]|$)", group=1,
        keywords=("a" * 21,), min_entropy=3.5, show_prefix=0,
        rotation="X developer portal: Projects & Apps > the app > Keys and tokens > Bearer "
                 "Token > Regenerate; the old token stops working at once.",
        tp=(_cat("TWITTER_BEARER_TOKEN=", "A" * 21, noise(9, "x-id", ALNUM), "A" * 7,
                 noise(20, "x-a"), "%2B", noise(30, "x-b"), "%3D", noise(30, "x-c")),
            _cat('bearer = "', "A" * 22, noise(90, "x-gl", ALNUM + "%"), '"')),
        fp=("A" * 120, "TWITTER_BEARER_TOKEN=" + "A" * 21 + "x" * 90),
    ),
    Rule(
        id="authress-access-key", title="Authress service client access key",
        provider="authress",
        pattern=r"\b((?:sc|ext|scauth|authress)_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-]"
                r"[A-Za-z0-9-]{10,32}\.[A-Za-z0-9+/_=-]{30,120})",
        group=1, keywords=(".acc_", ".acc-"), min_entropy=3.5, show_prefix=3,
        rotation="Authress: Management portal > Service clients > the client > delete the "
                 "access key and create a new one.",
        tp=(_cat("AUTHRESS_KEY=", "sc", "_", noise(10, "ath-sc"), ".", noise(4, "ath-k"),
                 ".acc", "_", noise(10, "ath-acc"), ".", noise(44, "ath-sig", ALNUM + "_-")),),
        fp=("sc_xxxxxxxxxx.xxxx.acc_xxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",),
    ),
    Rule(
        id="sidekiq-credentials", title="Sidekiq Pro or Enterprise gem server credentials",
        provider="sidekiq",
        # the key names the gem server, so any assignment up to the value will do
        # (``: "``, ``=``, `` string = "``, ``", "`` of a call, ``?=``, an element's text on
        # the next line)
        pattern=r"(?i)BUNDLE_(?:ENTERPRISE|GEMS)__CONTRIBSYS__COM(?:[a-z_]{0,20}>\s{0,80}|"
                r"[^\n]{0,24}?)\b([a-f0-9]{8}:[a-f0-9]{8})\b",
        group=1, keywords=("contribsys__com",), min_entropy=2.5, show_prefix=0,
        rotation="Sidekiq: ask Contributed Systems (support@contribsys.com) for new gem server "
                 "credentials, then set them with `bundle config --local gems.contribsys.com "
                 "user:pass` on each machine instead of committing them.",
        tp=(_cat("BUNDLE_GEMS", "__CONTRIBSYS__COM: \"", noise(8, "skq-u", _HEX), ":",
                 noise(8, "skq-p", _HEX), '"'),
            _cat("export BUNDLE_ENTERPRISE", "__CONTRIBSYS__COM=", noise(8, "skq-u2", _HEX), ":",
                 noise(8, "skq-p2", _HEX)),
            _cat("<BUNDLE_GEMS", "__CONTRIBSYS__COM>\n  ", noise(8, "skq-u3", _HEX), ":",
                 noise(8, "skq-p3", _HEX), "\n</BUNDLE_GEMS__CONTRIBSYS__COM>")),
        fp=("BUNDLE_GEMS__CONTRIBSYS__COM: ${SIDEKIQ_CREDENTIALS}",
            "BUNDLE_GEMS__CONTRIBSYS__COM=00000000:00000000"),
    ),
    Rule(
        id="datadog-api-key", title="Datadog API or application key", provider="datadog",
        pattern=_keyed("(?:datadog|dd)", "(?:api|app|application)[_-]?key",
                       "[a-f0-9]{32}|[a-f0-9]{40}", r"\b", gap="[a-z_-]{0,20}", tail=""),
        group=1, keywords=("datadog", "dd_api", "dd_app", "dd-api"), min_entropy=3.0,
        rotation="Datadog: Organization Settings > API Keys (or Application Keys) > revoke "
                 "the key and create a new one.",
        tp=(_cat("DD_API_KEY=", noise(32, "dd", _HEX)),),
        fp=("DD_API_KEY=" + "0" * 32, "DD_API_KEY=${DD_API_KEY}"),
    ),
    Rule(
        id="newrelic-key", title="New Relic user API, license or insert key",
        provider="newrelic",
        pattern=r"\b(NRAK-[A-Za-z0-9]{27}|NRII-[A-Za-z0-9_-]{32}|[0-9a-f]{36}NRAL)\b", group=1,
        keywords=("nrak-", "nrii-", "nral"), min_entropy=3.0, show_prefix=5,
        rotation="New Relic: API keys page > delete the user or ingest key and create a new "
                 "one; update every agent that used a license key.",
        tp=(_cat("NEW_RELIC_API_KEY=", "NRAK", "-", noise(27, "nr", ALNUM[:36])),
            _cat("license_key: ", noise(36, "nrl", _HEX), "NR", "AL")),
        fp=("NRAK-XXXXXXXXXXXXXXXXXXXXXXXXXXX", "NRII-" + "x" * 32),
    ),
    Rule(
        id="newrelic-browser-key", title="New Relic browser key", provider="newrelic",
        pattern=r"\b(NRJS-[a-f0-9]{19})\b", group=1,
        keywords=("nrjs-",), min_entropy=2.5, live=False, show_prefix=5,
        context=_public_by_design("the browser agent's snippet carries it to every page; it "
                                  "can only send data to New Relic"),
        rotation="New Relic: API keys page > create a new browser key and update the browser "
                 "agent snippet; delete the old key once no page sends with it.",
        tp=(_cat("newrelic.browserKey = '", "NR", "JS-", noise(19, "nrjs", _HEX), "'"),),
        fp=("NRJS-xxxxxxxxxxxxxxxxxxx", "NRJS-0000000000000000000"),
    ),
    Rule(
        id="dynatrace-token", title="Dynatrace API token", provider="dynatrace",
        pattern=r"\b(dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64})\b", group=1,
        keywords=("dt0c01.",), min_entropy=3.5, show_prefix=7,
        rotation="Dynatrace: Access tokens > find the token by its public part (dt0c01.…) > "
                 "revoke it, generate a new one with the scopes it needs.",
        tp=(_cat("DT_API_TOKEN=", "dt0c", "01.", noise(24, "dtp", ALNUM[:36]), ".",
                 noise(64, "dts", ALNUM[:36])),),
        fp=("dt0c01." + "X" * 24 + "." + "X" * 64,),
    ),
    Rule(
        id="huggingface-token", title="Hugging Face access token", provider="huggingface",
        pattern=r"\b(hf_[A-Za-z0-9]{34,40})\b", group=1,
        keywords=("hf_",), min_entropy=3.5, show_prefix=3,
        rotation="Hugging Face: Settings > Access Tokens > invalidate and refresh the token, "
                 "or delete it and create a fine-grained one.",
        tp=(_cat("HF_TOKEN=", "hf", "_", noise(34, "hf", ALNUM[10:])),),
        fp=("hf_hub_download_cache_directory_name", "hf_" + "x" * 34),
    ),
    Rule(
        id="replicate-api-token", title="Replicate API token", provider="replicate",
        pattern=r"\b(r8_[A-Za-z0-9]{37})\b", group=1,
        keywords=("r8_",), min_entropy=3.5, show_prefix=3,
        rotation="Replicate: Account settings > API tokens > delete the token and create a "
                 "new one; check Predictions for runs you did not start.",
        tp=(_cat("REPLICATE_API_TOKEN=", "r8", "_", noise(37, "r8")),),
        fp=("r8_" + "x" * 37,),
    ),
    Rule(
        id="postman-api-key", title="Postman API key", provider="postman",
        pattern=r"\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b", group=1,
        keywords=("pmak-",), min_entropy=3.0, show_prefix=5,
        rotation="Postman: Settings > API keys > revoke the key and generate a new one.",
        tp=(_cat("POSTMAN_API_KEY=", "PMAK", "-", noise(24, "pm", _HEX), "-",
                 noise(34, "pm2", _HEX)),),
        fp=("PMAK-" + "0" * 24 + "-" + "0" * 34,),
    ),
    Rule(
        id="generic-secret", title="High-entropy secret assignment", provider="generic",
        finder=generic.find, gate=generic.GATE, context=_generic_context,
        keywords=generic.KEYWORDS,
        live=False, generic=True,
        rotation="Change the credential at the service that issued it, then read it from an "
                 "environment variable or secret store instead of the file.",
        tp=(_cat("SESSION_SECRET=", "f9Kq2Lz7Wm4Rx8Vt3Nb6Yc1"),
            _cat('db_password: "', "Xr7Bn4Yc6Hd1Jf5G", '"'),
            _cat("NEXTAUTH_SECRET=", noise(43, "nextauth", _B64), "="),
            _cat('var apiToken string = "', noise(24, "gotok"), '"'),
            _cat('const sessionSecret: string = "', noise(24, "tssec"), '";'),
            _cat('val clientSecret: String = "', noise(28, "ktsec"), '"'),
            _cat('System.setProperty("db.password", "', noise(16, "jprop"), '");'),
            _cat('token = os.getenv("API_TOKEN", "', noise(32, "pydef"), '")'),
            _cat("DEPLOY_TOKEN ?= ", noise(30, "mk")),
            _cat("$config['secret'] .= '", noise(20, "php"), "';"),
            _cat("<password>", noise(18, "xml"), "</password>"),
            _cat('{\\"awsSecretKey\\":\\"', noise(40, "esc", _B64), '\\"}'),
            _cat("credentials: '", noise(24, "cred"), "'"),
            _cat('creds = "', noise(20, "creds"), '"'),
            _cat("private-key: ", noise(32, "pk")),
            _cat('auth = "', noise(26, "npmauth"), '"'),
            _cat('apiKey: "', noise(14, "cat1"), '" + "', noise(14, "cat2"), '",')),
        fp=("password = os.environ['PASSWORD']", "token: ${{ secrets.GITHUB_TOKEN }}",
            "SECRET_KEY=changeme", "password=hunter2", "api_key = config.api_key",
            "token_type: bearer_token_value", "password: <your-password>",
            "export type loginAccessTokenError = loginAccessTokenErrors[keyof "
            "loginAccessTokenErrors]",
            "<Input isPasswordVisible={isPasswordVisible} />",
            "verificationToken: newVerificationToken,",
            "const ResetPasswordPage: NextPageWithLayout = () => {",
            'tokenUrl="/api/v1/login/access-token"',
            'LLM_SECRET_NAME = "NEXUS-GPT4-API-KEY"',
            "secret_length = X25519.secret_length",
            "FIRST_SUPERUSER_PASSWORD=changethis",
            'if (password === "' + noise(16, "cmp") + '") {',
            "<artifactId>spring-security-oauth2-authorization-server</artifactId>",
            'const authHeader = "Authorization";',
            "SECRET_KEY: ${{ secrets.SECRET_KEY }}",
            'WEAK = {"insecure", "notsecret", "not-secret", "mysecret"}',
            'HEADERS = frozenset({"x-auth-token", "x-csrf-token", "x-xsrf-token"})',
            '"token": "abc123xyz",',
            "CREATE TYPE \"Transport\" AS ENUM ('SMTP_AUTH', 'SMTP_API', 'RESEND');",
            "DATABASE_URL=postgres://documenso:password@database:5432/documenso"),
    ),
)

BY_RULE_ID: dict[str, Rule] = {r.id: r for r in RULES}

"""ENV001–ENV008: the pure classifiers and ``evaluate_contract`` over hand-made observations."""

from __future__ import annotations

import pytest

from launchready.checks.env import values as v
from launchready.checks.env.contract import EnvObservation, evaluate_contract
from launchready.envcontract.declarations import (
    ProjectDeclarations,
    declarations_in,
    lint_dotenv,
)
from launchready.envcontract.facts import (
    EnvRead,
    EnvSnapshot,
    EnvValue,
    ReadKind,
    SourceScan,
)
from launchready.model import Severity

LIVE = "sk_" + "live_" + "a1B2c3D4e5F6g7H8i9J0k1L2"
TEST = "sk_" + "test_" + "a1B2c3D4e5F6g7H8i9J0k1L2"
STRONG = "Zk3n9Qv7Lx2Rb8Wc4Ty6Hp1Md5Fs0Ja7Gu3Ne9Xo2Ki="
PUBLIC = ("NEXT_PUBLIC_", "VITE_")


def snap(label: str = ".env.production", **values: str | None) -> EnvSnapshot:
    return EnvSnapshot(label=label, values={k: None if x is None else EnvValue(x)
                                            for k, x in values.items()})


def decls(file: str = ".env.example", text: str = "") -> ProjectDeclarations:
    return ProjectDeclarations(files=(file,), declarations=tuple(declarations_in(text, file)),
                               tool_names=frozenset(), issues=lint_dotenv(text, file),
                               skipped=())


def code(*reads: tuple[str, ReadKind]) -> SourceScan:
    return SourceScan(roots=(".",), files_scanned=1, calls=(), skipped=(), reads=tuple(
        EnvRead(name=n, path="src/app.py", line=3, column=1, kind=k, via="os.environ[...]")
        for n, k in reads))


def fired(obs: EnvObservation) -> list[tuple[str, str, Severity]]:
    out = evaluate_contract(obs)
    return sorted((f.rule_id, f.target.split()[-1], f.severity) for f in out.findings)


C, H, M, L = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW
#: 40 random alphanumerics (about 238 bits): strong for any signing key
RANDOM40 = "q7Xk2LmP9vR4tW8zB3nC6yH1jD5fG0sAeUoIuYtR"

CASES = [
    # ENV001
    ("required-missing", EnvObservation(environment="production", target=snap(A="1"),
                                        required=("A", "B", "C")),
     [("ENV001", "B", C), ("ENV001", "C", C)]),
    ("required-empty", EnvObservation(environment="production", target=snap(A="  ", B=None),
                                      required=("A", "B")),
     [("ENV001", "A", C), ("ENV001", "B", C)]),
    ("required-present", EnvObservation(environment="production", target=snap(A="x"),
                                        required=("A",)), []),
    ("code-requires", EnvObservation(environment="production", target=snap(),
                                     declarations=decls(text="K=\n"),
                                     code=code(("K", ReadKind.REQUIRED))),
     [("ENV001", "K", C)]),
    ("blank-template-key-read-by-code", EnvObservation(
        environment="production", target=snap(), declarations=decls(text="K=\nT=10\n"),
        code=code(("K", ReadKind.OPTIONAL))),
     [("ENV001", "K", M), ("ENV010", "T", L)]),
    ("blank-optional-template-keys-are-not-required", EnvObservation(
        environment="production", target=snap(A="1"),
        declarations=decls(text="SENTRY_AUTH_TOKEN=\nSLACK_WEBHOOK_URL=\nFEATURE_TEAM_SSO=true\n"
                                "A=\n"),
        code=code(("A", ReadKind.REQUIRED), ("SLACK_WEBHOOK_URL", ReadKind.DEFAULTED),
                  ("FEATURE_TEAM_SSO", ReadKind.DEFAULTED))), []),
    ("platform-provided-required-read", EnvObservation(
        environment="production", target=snap(),
        code=code(("PORT", ReadKind.REQUIRED), ("FLY_APP_NAME", ReadKind.REQUIRED))), []),
    ("quoted", EnvObservation(environment="production", target=snap(A='"x"', B=" y")),
     [("ENV001", "A", H), ("ENV001", "B", H)]),
    # ENV002
    ("public-live-key", EnvObservation(environment="production", public_prefixes=PUBLIC,
                                       target=snap(NEXT_PUBLIC_STRIPE=LIVE)),
     [("ENV002", "NEXT_PUBLIC_STRIPE", C)]),
    ("public-secret-name", EnvObservation(environment="preview", public_prefixes=PUBLIC,
                                          target=snap(VITE_API_SECRET="k8s7d6f5g4h3")),
     [("ENV002", "VITE_API_SECRET", C)]),
    ("public-publishable", EnvObservation(environment="production", public_prefixes=PUBLIC,
                                          target=snap(NEXT_PUBLIC_PK="pk_live_abc123def456ghi7")),
     []),
    ("server-live-key", EnvObservation(environment="production", public_prefixes=PUBLIC,
                                       target=snap(STRIPE_SECRET_KEY=LIVE)), []),
    # ENV003
    ("shared-db", EnvObservation(environment="production",
                                 target=snap(DATABASE_URL="postgres://u:p4ss@db.prod/app"),
                                 preview=snap(".env.preview",
                                              DB="postgres://u:p4ss@db.prod/app")),
     [("ENV003", "DATABASE_URL", H)]),
    ("separate-db", EnvObservation(environment="production",
                                   target=snap(DATABASE_URL="postgres://u:p4ss@db.prod/app"),
                                   preview=snap(".env.preview",
                                                DATABASE_URL="postgres://u:other@db.prev/app")),
     []),
    ("shared-public-url-ok", EnvObservation(environment="production",
                                            target=snap(SITE_URL="https://acme.example"),
                                            preview=snap(".env.preview",
                                                         SITE_URL="https://acme.example")), []),
    # ENV004
    ("test-key-prod", EnvObservation(environment="production", target=snap(STRIPE_KEY=TEST)),
     [("ENV004", "STRIPE_KEY", H)]),
    ("sandbox-mode", EnvObservation(environment="production", target=snap(PLAID_ENV="sandbox")),
     [("ENV004", "PLAID_ENV", H)]),
    ("test-key-preview", EnvObservation(environment="preview", target=snap(STRIPE_KEY=TEST)),
     []),
    # ENV005
    ("localhost-url", EnvObservation(environment="production",
                                     target=snap(API_URL="http://localhost:8000")),
     [("ENV005", "API_URL", H)]),
    ("private-ip", EnvObservation(environment="production", target=snap(REDIS="10.0.3.4:6379")),
     [("ENV005", "REDIS", H)]),
    ("mdns", EnvObservation(environment="production", target=snap(S="https://nas.local/x")),
     [("ENV005", "S", H)]),
    ("public-host", EnvObservation(environment="production",
                                   target=snap(API_URL="https://api.acme.example")), []),
    # ENV006
    ("undeclared", EnvObservation(environment="production", target=snap(),
                                  declarations=decls(),
                                  code=code(("FEATURE_X", ReadKind.OPTIONAL),
                                            ("NODE_ENV", ReadKind.OPTIONAL),
                                            ("VERCEL_URL", ReadKind.OPTIONAL),
                                            ("NEXT_PUBLIC_VERCEL_URL", ReadKind.OPTIONAL),
                                            ("RENDER", ReadKind.OPTIONAL),
                                            ("WITH_DEFAULT", ReadKind.DEFAULTED))),
     [("ENV006", "FEATURE_X", M)]),
    ("declared", EnvObservation(environment="production", target=snap(FEATURE_X="1"),
                                declarations=decls(text="FEATURE_X=\n"),
                                code=code(("FEATURE_X", ReadKind.OPTIONAL))), []),
    ("declared-in-comment-or-target", EnvObservation(
        environment="production", target=snap(B="x"),
        declarations=decls(".env.local.example", "# JACKSON_URL=https://sso.example\n"),
        code=code(("JACKSON_URL", ReadKind.OPTIONAL), ("B", ReadKind.OPTIONAL))), []),
    # a template as the target: keys are declarations, values are not judged
    ("template-target", EnvObservation(
        environment="production", target=snap(".env.example", A="", S="changeme"),
        target_is_template=True, required=("A",),
        code=code(("A", ReadKind.REQUIRED), ("Q", ReadKind.REQUIRED))),
     [("ENV006", "Q", M)]),
    # ENV009
    ("malformed-template", EnvObservation(
        environment="production", target=None,
        declarations=decls(text="A=1\nA=2\nlower_name=x\nB = y\nC=two words\n'bad\n"),
        code=code(("A", ReadKind.OPTIONAL), ("lower_name", ReadKind.OPTIONAL),
                  ("B", ReadKind.OPTIONAL), ("C", ReadKind.OPTIONAL))),
     [("ENV009", "A", M), ("ENV009", "B", M), ("ENV009", "C", M), ("ENV009", "6", M),
      ("ENV009", "lower_name", M)]),
    # ENV007
    ("placeholder", EnvObservation(environment="production", target=snap(API_TOKEN="changeme")),
     [("ENV007", "API_TOKEN", H)]),
    ("short-signing-key", EnvObservation(environment="staging",
                                         target=snap(SESSION_SECRET="s3cr3t-but-short-1")),
     [("ENV007", "SESSION_SECRET", H)]),
    ("strong-signing-key", EnvObservation(environment="production",
                                          target=snap(SESSION_SECRET=STRONG)), []),
    ("40-random-alphanumerics-are-strong", EnvObservation(
        environment="production", target=snap(JWT_SECRET=RANDOM40)), []),
    ("words-are-weak", EnvObservation(environment="production",
                                      target=snap(SESSION_SECRET="supersecretsessionkeyforacme")),
     [("ENV007", "SESSION_SECRET", H)]),
    ("reused-secret", EnvObservation(environment="production",
                                     target=snap(JWT_SECRET=RANDOM40, COOKIE_SECRET=RANDOM40)),
     [("ENV007", "COOKIE_SECRET", H), ("ENV007", "JWT_SECRET", H)]),
    ("masked-placeholders", EnvObservation(
        environment="production",
        target=snap(STRIPE_WEBHOOK_SECRET="whsec_***", DATABASE_URL="postgresql://***")),
     [("ENV007", "DATABASE_URL", H), ("ENV007", "STRIPE_WEBHOOK_SECRET", H)]),
    ("weak-in-development", EnvObservation(environment="development",
                                           target=snap(SESSION_SECRET="dev")), []),
    # ENV008
    ("debug-on", EnvObservation(environment="production",
                                target=snap(DEBUG="true", FLASK_DEBUG="1", NODE_ENV="development")),
     [("ENV008", "DEBUG", H), ("ENV008", "FLASK_DEBUG", H), ("ENV008", "NODE_ENV", H)]),
    ("debug-off", EnvObservation(environment="production",
                                 target=snap(DEBUG="false", NODE_ENV="production")), []),
    ("framework-env-development-is-debug-not-test-keys", EnvObservation(
        environment="production", target=snap(FASTAPI_ENV="development")),
     [("ENV008", "FASTAPI_ENV", H)]),
]


@pytest.mark.parametrize(("obs", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_evaluate_contract(obs: EnvObservation, expected: list[tuple[str, str, Severity]]) -> None:
    assert fired(obs) == sorted(expected)


def test_names_only_snapshot_checks_presence() -> None:
    target = EnvSnapshot(label="fly secrets", values={"A": None}, names_only=True)
    obs = EnvObservation(environment="production", target=target, required=("A", "B"))
    assert fired(obs) == [("ENV001", "B", C)]


def test_fingerprints_stable_and_value_free() -> None:
    obs = EnvObservation(environment="production", public_prefixes=PUBLIC,
                         target=snap(NEXT_PUBLIC_STRIPE=LIVE))
    one = evaluate_contract(obs).findings[0]
    two = evaluate_contract(EnvObservation(environment="production", public_prefixes=PUBLIC,
                                           target=snap(NEXT_PUBLIC_STRIPE=LIVE + "x"))).findings[0]
    assert one.fingerprint == two.fingerprint
    assert LIVE not in repr(one) and LIVE[-4:] not in one.evidence


@pytest.mark.parametrize(("value", "bits_ok"), [
    ("a" * 64, False), ("abcabcabcabcabcabcabcabcabcabcabcabc", False),
    ("0123456789abcdef", False), (STRONG, True), (RANDOM40, True),
    ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", True),
], ids=["repeated", "pattern", "8-hex-bytes", "base64-32", "alnum-40", "hex-32"])
def test_random_bits(value: str, bits_ok: bool) -> None:
    assert (v.random_bits(value) >= v.MIN_SIGNING_BITS) is bits_ok


def test_no_source_skips_the_value_rules_and_keeps_the_code_ones() -> None:
    obs = EnvObservation(environment="production", target=None, declarations=decls(),
                         code=code(("X", ReadKind.REQUIRED)))
    out = evaluate_contract(obs)
    assert [f.rule_id for f in out.findings] == ["ENV006"]
    assert set(out.skipped) == {"ENV001", "ENV002", "ENV003", "ENV004", "ENV005", "ENV007",
                                "ENV008"}
    assert "--env-file" in out.skipped["ENV001"]


def test_fix_follows_the_kind_of_variable() -> None:
    obs = EnvObservation(environment="production",
                         target=snap(STRIPE_SECRET_KEY="changeme", SESSION_SECRET="changeme"),
                         code=code(("DATABASE_URL", ReadKind.REQUIRED)))
    fixes = {f.target.split()[-1]: f.fix for f in evaluate_contract(obs).findings
             if f.rule_id in ("ENV001", "ENV007")}
    assert "openssl" not in fixes["STRIPE_SECRET_KEY"]
    assert "Stripe" in fixes["STRIPE_SECRET_KEY"]
    assert "openssl rand" in fixes["SESSION_SECRET"]
    assert "connection string" in fixes["DATABASE_URL"]
    assert ".env.example" not in fixes["DATABASE_URL"]


def test_env_value_repr_hides_value() -> None:
    value = EnvValue("hunter2-hunter2")
    assert "hunter2" not in repr(value) and "hunter2" not in str(value)
    assert "hunter2" not in repr(snap(A="hunter2-hunter2"))

"""ENV001–ENV008: the pure classifiers and ``evaluate_contract`` over hand-made observations."""

from __future__ import annotations

import pytest

from launchready.checks.env import values as v
from launchready.checks.env.contract import EnvObservation, evaluate_contract
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


def code(*reads: tuple[str, ReadKind]) -> SourceScan:
    return SourceScan(roots=(".",), files_scanned=1, calls=(), skipped=(), reads=tuple(
        EnvRead(name=n, path="src/app.py", line=3, column=1, kind=k, via="os.environ[...]")
        for n, k in reads))


def fired(obs: EnvObservation) -> list[tuple[str, str, Severity]]:
    out = evaluate_contract(obs)
    return sorted((f.rule_id, f.target.split()[-1], f.severity) for f in out.findings)


C, H, M = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM

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
                                     example=snap(".env.example", K=""),
                                     code=code(("K", ReadKind.REQUIRED))),
     [("ENV001", "K", C)]),
    ("example-only-missing", EnvObservation(environment="production", target=snap(),
                                            example=snap(".env.example", K="", T="10")),
     [("ENV001", "K", M)]),
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
                                  example=snap(".env.example"),
                                  code=code(("FEATURE_X", ReadKind.OPTIONAL),
                                            ("NODE_ENV", ReadKind.OPTIONAL),
                                            ("VERCEL_URL", ReadKind.OPTIONAL))),
     [("ENV006", "FEATURE_X", M)]),
    ("declared", EnvObservation(environment="production", target=snap(FEATURE_X="1"),
                                example=snap(".env.example", FEATURE_X=""),
                                code=code(("FEATURE_X", ReadKind.OPTIONAL))), []),
    # ENV007
    ("placeholder", EnvObservation(environment="production", target=snap(API_TOKEN="changeme")),
     [("ENV007", "API_TOKEN", H)]),
    ("short-signing-key", EnvObservation(environment="staging",
                                         target=snap(SESSION_SECRET="s3cr3t-but-short-1")),
     [("ENV007", "SESSION_SECRET", H)]),
    ("strong-signing-key", EnvObservation(environment="production",
                                          target=snap(SESSION_SECRET=STRONG)), []),
    ("weak-in-development", EnvObservation(environment="development",
                                           target=snap(SESSION_SECRET="dev")), []),
    # ENV008
    ("debug-on", EnvObservation(environment="production",
                                target=snap(DEBUG="true", FLASK_DEBUG="1", NODE_ENV="development")),
     [("ENV008", "DEBUG", H), ("ENV008", "FLASK_DEBUG", H), ("ENV008", "NODE_ENV", H)]),
    ("debug-off", EnvObservation(environment="production",
                                 target=snap(DEBUG="false", NODE_ENV="production")), []),
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
    ("0123456789abcdef" * 2, False), (STRONG, True),
    ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", True),
], ids=["repeated", "pattern", "16-hex-bytes", "base64-32", "hex-32"])
def test_random_bits(value: str, bits_ok: bool) -> None:
    assert (v.random_bits(value) >= 256) is bits_ok


def test_env_value_repr_hides_value() -> None:
    value = EnvValue("hunter2-hunter2")
    assert "hunter2" not in repr(value) and "hunter2" not in str(value)
    assert "hunter2" not in repr(snap(A="hunter2-hunter2"))

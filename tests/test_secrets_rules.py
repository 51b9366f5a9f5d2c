"""The rule table's own examples, placeholders, encodings, masking and pathological input."""

from __future__ import annotations

import base64
import time
from urllib.parse import quote

import pytest

from launchready.secrets.redact import mask, value_hash
from launchready.secrets.rules import RULES, base62_crc32, make_checksummed_token
from launchready.secrets.scanner import Scanner, available_engine

ENGINES = sorted({"re", available_engine()})
SCANNERS = {e: Scanner(engine=e) for e in ENGINES}
TP = [(e, r.id, tp) for e in ENGINES for r in RULES for tp in r.tp]
FP = [(e, r.id, fp) for e in ENGINES for r in RULES for fp in r.fp]
STRIPE = "sk_" + "live_" + "51Hq8ZkW3nR5tY2uV9xB4cD7e"


@pytest.mark.parametrize(("engine", "rule_id", "text"), TP,
                         ids=[f"{e}-{r}-{i}" for i, (e, r, _) in enumerate(TP)])
def test_true_positive_is_found_once(engine: str, rule_id: str, text: str) -> None:
    found = [m for m in SCANNERS[engine].scan(text.encode()) if m.rule.id == rule_id]
    assert len(found) == 1


@pytest.mark.parametrize(("engine", "rule_id", "text"), FP,
                         ids=[f"{e}-{r}-{i}" for i, (e, r, _) in enumerate(FP)])
def test_false_positive_does_not_fire(engine: str, rule_id: str, text: str) -> None:
    assert SCANNERS[engine].scan(text.encode()) == []


def test_every_rule_has_examples_and_rotation_steps() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert r.tp and r.fp and r.keywords and len(r.rotation) > 40, r.id


@pytest.mark.parametrize("text", [
    "aws_access_key_id=AKIAIOSFODNN7EXAMPLE", "STRIPE_SECRET_KEY=xxx", "api_key=<your-key>",
    "password=${DB_PASSWORD}", "SECRET=changeme", "publishableKey: 'pk_live_51Hq8ZkW3nR5tY2uV9x'",
], ids=["aws-example", "xxx", "angle", "env-var", "changeme", "publishable"])
def test_placeholders_and_publishable_keys_are_not_findings(text: str) -> None:
    assert Scanner().scan(text.encode()) == []


def test_github_checksum_is_checked() -> None:
    body = "Zk3mQ9vT2xLp8RwN4bYc7HsJ1dFgA6"
    good = make_checksummed_token("ghp", body)
    assert good.endswith(base62_crc32(body))
    assert [m.rule.id for m in Scanner().scan(good.encode())] == ["github-token"]
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    assert Scanner().scan(bad.encode()) == []


@pytest.mark.parametrize("wrap", [
    lambda s: base64.b64encode(f"key={s}".encode()).decode(),
    lambda s: quote(f"key={s}", safe=""),
    lambda s: quote(base64.b64encode(f"key={s}".encode()).decode(), safe=""),
    lambda s: '{"k": "' + s.replace("_", "\\u005f") + '"}',
], ids=["base64", "url", "base64-then-url", "json-escaped"])
def test_encoded_values_are_decoded(wrap: object) -> None:
    assert callable(wrap)
    text = f"line one\nconfig = {wrap(STRIPE)}\n"
    found = Scanner().scan(text.encode())
    assert [m.rule.id for m in found] == ["stripe-live-secret"]
    assert found[0].encoding and found[0].line == 2
    assert found[0].hash == value_hash(STRIPE)


@pytest.mark.parametrize(("text", "line", "column"), [
    (f"{STRIPE}\nrest\n", 1, 1),
    (f"a\nb\nkey = {STRIPE}", 3, 7),
    ("x" * 300_000 + f";k='{STRIPE}';" + "y" * 10, 1, 300_005),
], ids=["first-line", "last-line-no-newline", "minified-300k"])
def test_line_and_column(text: str, line: int, column: int) -> None:
    (m,) = Scanner().scan(text.encode())
    assert (m.line, m.column) == (line, column)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("payload", [
    b" " * 100_000, b'"' * 10_000, b"a=b(" * 25_000, b"password=" * 12_000,
    b"token:" + b"'" * 50_000, b"-----BEGIN RSA PRIVATE KEY-----" + b"A " * 50_000,
], ids=["spaces", "quotes", "call-runs", "keyword-runs", "quote-run", "pem-spaces"])
def test_pathological_lines_finish_fast(engine: str, payload: bytes) -> None:
    started = time.perf_counter()
    SCANNERS[engine].scan(payload + b"\n" + payload)
    assert time.perf_counter() - started < 3.0


def _encodings(text: str) -> list[tuple[str, bytes]]:
    raw = text.encode()
    return [("plain", raw), ("base64", base64.b64encode(raw)), ("url", quote(text).encode()),
            ("json", text.replace("/", "\\/").encode())]


GATE_HIT = [(e, f"{r.id}-{i}-{how}", data) for e in ENGINES for r in RULES
            for i, tp in enumerate(r.tp) for how, data in _encodings(tp)]


@pytest.mark.parametrize(("engine", "label", "data"), GATE_HIT, ids=[g[1] + "-" + g[0]
                                                                      for g in GATE_HIT])
def test_prefilter_gate_lets_every_example_through(engine: str, label: str, data: bytes) -> None:
    # the gate in front of every scan may only say "certainly nothing here" when that is true
    assert SCANNERS[engine].could_match(data), label
    assert SCANNERS[engine].could_match(b"filler words\n" + data + b"\nmore filler")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("data", "expected"), [
    (b"const total = items.map(render).length;\n", False),
    (b"x" * 31 + b" " + b"y" * 31, False),
    (b"x" * 32, True),
    (b"100% sure", False),
    (b"a%2Fb", True),
    (b"C:\\dir\\file", False),
    (b"{\"a\": \"\\u0041\"}", True),
    (b"PASSWORD is set elsewhere", True),
    (b"", False),
], ids=["code", "run-31", "run-32", "percent", "url-escape", "backslashes", "json-escape",
        "keyword-upper", "empty"])
def test_prefilter_gate_table(engine: str, data: bytes, expected: bool) -> None:
    assert SCANNERS[engine].could_match(data) is expected
    if not expected:
        assert SCANNERS[engine].scan(data) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_prefilter_gate_window(engine: str) -> None:
    clean = b"const total = items.map(render).length;\n"
    data = clean + f"k = '{STRIPE}'\n".encode() + clean
    sc = SCANNERS[engine]
    assert not sc.could_match(data, 0, len(clean))
    assert not sc.could_match(data, len(data) - len(clean))
    assert sc.could_match(data, len(clean) - 5, len(data) - len(clean))


def test_inline_ignore_marker() -> None:
    (m,) = Scanner().scan(f"k = '{STRIPE}'  # launchready: ignore[SEC001]".encode())
    assert m.ignored_for("SEC001") and not m.ignored_for("SEC003")
    (m,) = Scanner().scan(f"k = '{STRIPE}'  # launchready: ignore".encode())
    assert m.ignored_for("SEC005")


@pytest.mark.parametrize(("value", "prefix", "shown"), [
    (STRIPE, 8, "sk_live_****4cD7e"[:12] + STRIPE[-4:]),
    ("hunter2hunter2", 0, "****"),
    ("abcdefghijklmnopqrstuvwxyz", 0, "****wxyz"),
], ids=["stripe", "short", "no-prefix"])
def test_mask_shows_prefix_and_last_four_only(value: str, prefix: int, shown: str) -> None:
    assert mask(value, prefix=prefix) == shown
    assert value not in mask(value, prefix=prefix) or len(value) < 5


@pytest.mark.parametrize("escape", [b"%41", b"\\u0041"], ids=["url", "json"])
def test_escape_dense_input_has_bounded_memory(escape: bytes) -> None:
    # 256 KB of escapes, one line and many lines: decoding stops at its budget, nothing is kept
    # per escape, and a plain secret after it is still found
    import tracemalloc
    one_line = escape * ((256 << 10) // len(escape))
    many = (escape * 300 + b"\n") * ((256 << 10) // (len(escape) * 300 + 1))
    for data in (one_line, many):
        tracemalloc.start()
        found = Scanner().scan(data + f"\nkey = '{STRIPE}'\n".encode())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert [m.rule.id for m in found] == ["stripe-live-secret"]
        assert peak < 3 * len(data)

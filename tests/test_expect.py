"""The expectation language: parsing, load-time errors and evaluation."""

from __future__ import annotations

import pytest

from launchready.config.expect import ExpectationError, ResponseFacts, check, parse_expectation

FACTS = ResponseFacts(status=200, elapsed_ms=120.0,
                      headers={"cache-control": "private, no-store", "x-a": "1"},
                      body='{"user": {"id": 7, "roles": ["admin"]}, "db": "ok"}',
                      cert_days_left=40)


@pytest.mark.parametrize(("text", "ok"), [
    ("status == 200", True),
    ("status != 200", False),
    ("status < 300", True),
    ("time < 500ms", True),
    ("time < 0.1s", False),
    ("time <= 120", True),
    ("json.user.id exists", True),
    ("json.user.name exists", False),
    ("json.user.id == 7", True),
    ("json.db == 'ok'", True),
    ('json.db == "ok"', True),
    ("json.user.roles contains 'admin'", True),
    ("json.user.roles.0 == 'admin'", True),
    ("header.cache-control matches 'private'", True),
    ("header.Cache-Control contains 'no-store'", True),
    ("header.x-missing exists", False),
    ("body contains 'db'", True),
    ("body matches '\"id\": \\d+'", True),
    ("cert.days_left > 14", True),
    ("cert.days_left < 30", False),
], ids=str)
def test_expectations_evaluate(text: str, ok: bool) -> None:
    assert check(parse_expectation(text), FACTS)[0] is ok


@pytest.mark.parametrize(("text", "message"), [
    ("stauts == 200", "unknown subject 'stauts'"),
    ("status = 200", "unknown operator '='"),
    ("status", "missing operator"),
    ("status == 'ok'", "compares with a number"),
    ("time < fast", "'fast' is not a duration"),
    ("body == 'x'", "does not apply to body"),
    ("header matches 'x'", "header needs a name"),
    ("header.x matches '('", "bad regular expression"),
    ("json.a exists 3", "'exists' takes no value"),
    ("json.a == ok", "quote text values"),
    ("cert.expiry > 3", "cert.days_left"),
    ("status == 200 300", "extra '300'"),
], ids=str)
def test_bad_expectations_name_the_token(text: str, message: str) -> None:
    with pytest.raises(ExpectationError, match=None) as info:
        parse_expectation(text)
    assert message in str(info.value)


def test_evidence_never_contains_the_body() -> None:
    facts = ResponseFacts(status=500, body="password=hunter2")
    ok, seen = check(parse_expectation("body contains 'welcome'"), facts)
    assert not ok
    assert "hunter2" not in seen

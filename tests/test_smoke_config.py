"""The smoke flow's config: captures, login/logout roles, ${name} references, masking."""

from __future__ import annotations

from typing import Any

import pytest

from launchready.config import load_config_text
from launchready.config.captures import CaptureError, parse_capture, references
from launchready.config.models import SmokeConfig
from launchready.errors import ConfigError
from launchready.smoke.extract import CapturedResponse, extract
from launchready.smoke.masking import MASK, Masker, is_credential_header

# --- the capture language -------------------------------------------------------------------

PAGE = """<!doctype html><form method=post action=/login>
<meta name="csrf-token" content="meta-tok-123456">
<input type="hidden" name="csrf" value="form-tok-&amp;-654321">
<input name="email"><input name=csrf2 value='second'/></form>"""
RESPONSE = CapturedResponse(
    headers=(("Content-Type", "text/html"), ("ETag", '"v42"'),
             ("Set-Cookie", "acme_session=abc.def.ghi; Path=/; Secure; HttpOnly"),
             ("Set-Cookie", "theme=dark; Path=/")),
    body=PAGE)
JSON = CapturedResponse(body='{"token": "tkn-1234567", "user": {"id": 7, "admin": false, '
                             '"tags": ["a", "b"]}, "items": [{"id": 3}], "none": null}')

EXTRACTS = [
    ("json.token", JSON, "tkn-1234567"),
    ("json.user.id", JSON, "7"),
    ("json.user.admin", JSON, "false"),
    ("json.user.tags", JSON, '["a","b"]'),
    ("json.items.0.id", JSON, "3"),
    ("json.items.1.id", JSON, None),
    ("json.none", JSON, None),
    ("json.token", RESPONSE, None),
    ("header.etag", RESPONSE, '"v42"'),
    ("header.ETag", RESPONSE, '"v42"'),
    ("header.x-missing", RESPONSE, None),
    ("cookie.acme_session", RESPONSE, "abc.def.ghi"),
    ("cookie.theme", RESPONSE, "dark"),
    ("cookie.other", RESPONSE, None),
    ("html.input[name=csrf].value", RESPONSE, "form-tok-&-654321"),
    ("html.input[name='csrf2'].value", RESPONSE, "second"),
    ('html.meta[name="csrf-token"].content', RESPONSE, "meta-tok-123456"),
    ("html.input[name=absent].value", RESPONSE, None),
    ("html.input[name=email].value", RESPONSE, None),
]


@pytest.mark.parametrize(("text", "response", "expected"), EXTRACTS,
                         ids=[e[0] + ("" if e[2] else " (absent)") for e in EXTRACTS])
def test_extract(text: str, response: CapturedResponse, expected: str | None) -> None:
    assert extract(parse_capture(text), response) == expected


BAD_CAPTURES = [
    ("token", "is not a capture"),
    ("xml.token", "is not a capture"),
    ("json.", "is not a capture"),
    ("json.a..b", "empty part"),
    ("header.bad name", "is not a header name"),
    ("cookie.a;b", "is not a cookie name"),
    ("html.input.value", "html.TAG[ATTR=VALUE].ATTRIBUTE"),
    ("html.input[name=csrf]", "html.TAG[ATTR=VALUE].ATTRIBUTE"),
]


@pytest.mark.parametrize(("text", "needle"), BAD_CAPTURES, ids=[b[0] for b in BAD_CAPTURES])
def test_bad_capture_is_rejected(text: str, needle: str) -> None:
    with pytest.raises(CaptureError, match=needle.replace("[", r"\[").replace(".", r"\.")):
        parse_capture(text)


def test_references_walk_nested_values() -> None:
    assert references(["/p/${id}", {"a": ["${x}", {"b": "${y}-${RUN_ID}"}]}, 3]) == {
        "id", "x", "y", "RUN_ID"}


# --- config validation ----------------------------------------------------------------------

def _smoke(*steps: dict[str, Any], **extra: Any) -> SmokeConfig:
    return SmokeConfig.model_validate({"base_url": "https://app.acme.test", "steps": list(steps),
                                       **extra})


def test_roles_default_to_names_then_first_step() -> None:
    named = _smoke({"name": "home", "path": "/"}, {"name": "Login", "path": "/l"},
                   {"name": "logout", "path": "/o"})
    assert (named.login_index(), named.logout_index()) == (1, 2)
    first = _smoke({"name": "sign in", "path": "/"}, {"name": "bye", "path": "/o"})
    assert (first.login_index(), first.logout_index()) == (0, None)
    flagged = _smoke({"name": "login", "path": "/", "login": False},
                     {"name": "auth", "path": "/a", "login": True},
                     {"name": "bye", "path": "/o", "logout": True})
    assert (flagged.login_index(), flagged.logout_index()) == (1, 2)
    opted_out = _smoke({"name": "home", "path": "/", "login": False})
    assert opted_out.login_index() is None


BAD_FLOWS = [
    ([{"name": "a", "path": "/"}, {"name": "a", "path": "/x"}], "step names must be unique"),
    ([{"name": "a", "path": "/", "login": True}, {"name": "b", "path": "/", "login": True}],
     "only one step can set login = true"),
    ([{"name": "a", "path": "/", "login": True, "logout": True}], "cannot be both"),
    ([{"name": "a", "path": "api"}], "path must start with /"),
    ([{"name": "a", "path": "/", "json": {}, "form": {}}], "has both json and form"),
    ([{"name": "a", "path": "/", "capture": {"t": "jsn.token"}}], "capture 't'"),
    ([{"name": "a", "path": "/", "capture": {"bad-name": "json.t"}}], "capture name"),
    ([{"name": "a", "path": "/", "capture": {"RUN_ID": "json.t"}}], "not RUN_ID"),
    ([{"name": "a", "path": "/${token}"}, {"name": "b", "path": "/", "capture": {
        "token": "json.token"}}], "before a step captures it"),
    ([{"name": "a", "path": "/", "headers": {"Authorization": "Bearer ${tokn}"}}],
     "no earlier step captures"),
]


@pytest.mark.parametrize(("steps", "needle"), BAD_FLOWS,
                         ids=["duplicate-names", "two-logins", "login-and-logout",
                              "relative-path", "two-bodies", "bad-capture", "bad-capture-name",
                              "capture-named-run-id", "used-before-captured", "unknown-name"])
def test_bad_flow_is_rejected(steps: list[dict[str, Any]], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        _smoke(*steps)


def test_bad_base_url_is_rejected() -> None:
    with pytest.raises(ValueError, match="base_url must be a URL"):
        SmokeConfig.model_validate({"base_url": "app.acme.test"})


def test_toml_with_captures_loads() -> None:
    # Given a flow that captures a CSRF token and a bearer token (written $${name} so the loader
    # keeps the reference for the run) and reads the password from the environment
    text = """
[smoke]
base_url = "https://app.acme.test/"

[[smoke.steps]]
name = "sign-in page"
path = "/login"
capture = { csrf = "html.input[name=csrf].value" }

[[smoke.steps]]
name = "login"
method = "post"
path = "/login"
form = { csrf = "$${csrf}", email = "${SMOKE_EMAIL}", password = "${SMOKE_PASSWORD}" }
expect = ["status == 200"]
capture = { bearer = "json.token", sid = "cookie.sid" }

[[smoke.steps]]
name = "projects"
path = "/api/projects?run=${RUN_ID}"
headers = { Authorization = "Bearer $${bearer}" }
"""
    config = load_config_text(text, environ={"SMOKE_EMAIL": "demo@acme.test",
                                             "SMOKE_PASSWORD": "pw-from-env-123"})
    smoke = config.smoke
    assert smoke is not None
    assert smoke.base_url == "https://app.acme.test"
    assert smoke.login_index() == 1
    assert smoke.steps[1].form == {"csrf": "${csrf}", "email": "demo@acme.test",
                                   "password": "pw-from-env-123"}
    assert smoke.steps[2].headers == {"Authorization": "Bearer ${bearer}"}
    assert config.literal_credentials == ()
    # the password never shows in a repr of the flow
    assert "pw-from-env-123" not in repr(smoke)


def test_config_error_names_the_step_key() -> None:
    text = '[smoke]\n[[smoke.steps]]\nname = "a"\npath = "/"\ncapture = { t = "json" }\n'
    with pytest.raises(ConfigError, match=r"smoke\.steps\[0\]\.capture"):
        load_config_text(text)


# --- masking --------------------------------------------------------------------------------

def test_masker_hides_values_and_their_encodings() -> None:
    masker = Masker()
    masker.add("p@ss w&rd<1>\"")
    masker.add("short", min_length=6)
    text = ("raw p@ss w&rd<1>\" url p%40ss%20w%26rd%3C1%3E%22 plus p%40ss+w%26rd%3C1%3E%22 "
            "html p@ss w&amp;rd&lt;1&gt;&quot; json p@ss w&rd<1>\\\" short")
    masked = masker.mask(text)
    assert "w&rd" not in masked and "w%26rd" not in masked and "w&amp;rd" not in masked
    assert masked.count(MASK) == 5
    assert masked.endswith("short")


@pytest.mark.parametrize(("name", "credential"), [
    ("Authorization", True), ("cookie", True), ("X-Api-Key", True), ("X-CSRF-Token", True),
    ("X-Auth-Token", True), ("Accept", False), ("Content-Type", False), ("X-Request-Id", False),
], ids=str)
def test_credential_headers(name: str, credential: bool) -> None:
    assert is_credential_header(name) is credential

"""RELIABILITY 59: the smoke password appears in no output, whatever the server does with it.

Given ``SMOKE_PASSWORD`` from the environment and a server that echoes it — in the login
response, in a 500 page after a failed login, and from an ordinary endpoint — every report
format, the terminal output, logs, and the ``launchready smoke`` command's stdout/stderr (also
with ``-v``) are searched for it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp import web

from launchready import cli
from launchready.checks.registry import FAMILIES
from launchready.checks.smoke.flow import SmokeChecks
from launchready.config import load_config_text
from launchready.engine import Selection, arun_audit
from launchready.model import Report
from launchready.output import emit
from launchready.report import Format, render
from test_smoke_flow import FORM_FLOW, PASSWORD, FormApp, _form_app, _other_app, _serve

LEAK_STEP = """
[[smoke.steps]]
name = "leak"
path = "/api/leak"
expect = ["status == 200", "json.pw == 'something else'", "json.note matches '^nothing'"]
"""


def _config_text(origin: str) -> str:
    return (f'[app]\nname = "Acme"\n[network]\ntimeout = 5\n[smoke]\nbase_url = "{origin}"\n'
            + FORM_FLOW.format(extra=LEAK_STEP))


@contextmanager
def _form_site(state: FormApp) -> Iterator[str]:
    """The form app and its other-origin server on a loop in a thread (the CLI runs its own)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def call(coro: object) -> object:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(10)  # type: ignore[arg-type]

    runners: list[web.AppRunner] = []
    try:
        other, state.other_origin = call(_serve(_other_app(state)))  # type: ignore[misc]
        runners.append(other)
        runner, origin = call(_serve(_form_app(state)))  # type: ignore[misc]
        runners.append(runner)
        yield origin
    finally:
        for runner in runners:
            call(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _report(password: str) -> Report:
    async def scenario() -> Report:
        state = FormApp()
        runner, origin = await _serve(_form_app(state))
        other, state.other_origin = await _serve(_other_app(state))
        try:
            config = load_config_text(_config_text(origin), environ={"SMOKE_PASSWORD": password})
            return await arun_audit(config, families=[SmokeChecks()],
                                    selection=Selection(only=("SMOKE",)))
        finally:
            await other.cleanup()
            await runner.cleanup()

    return asyncio.run(scenario())


CASES = [pytest.param(PASSWORD, ["SMOKE002"], id="login-ok-server-echoes-password"),
         pytest.param("wrong-" + PASSWORD, ["SMOKE001"], id="login-fails-500-page-echoes")]


@pytest.mark.parametrize(("password", "rules"), CASES)
def test_password_in_no_report_format(password: str, rules: list[str],
                                      caplog: pytest.LogCaptureFixture,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    report = _report(password)
    assert [f.rule_id for f in report.findings] == rules
    outputs = {fmt.value: render(report, fmt) for fmt in Format}
    args = argparse.Namespace(formats=[f.value for f in Format], outputs=[], no_color=True)
    emit(report, args)
    captured = capsys.readouterr()
    outputs |= {"stdout": captured.out, "stderr": captured.err, "log": caplog.text,
                "repr": repr(report)}
    for name, text in outputs.items():
        assert password not in text, f"password in {name}"
        assert PASSWORD not in text, f"password in {name}"
    # the masked value is still visible as masked, so the user sees what failed
    if rules == ["SMOKE002"]:
        assert "json.pw == 'something else' (saw [redacted])" in report.findings[0].evidence


def test_smoke_is_wired() -> None:
    assert "smoke" in cli.PLUGINS
    assert SmokeChecks in FAMILIES


@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "verbose"])
def test_smoke_command_outputs_hide_the_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        verbose: bool) -> None:
    state = FormApp()
    monkeypatch.setenv("SMOKE_PASSWORD", "wrong-" + PASSWORD)
    with _form_site(state) as origin:
        config = tmp_path / "launchready.toml"
        config.write_text(_config_text(origin), encoding="utf-8")
        argv = ["smoke", "--config", str(config), "--no-color"]
        files = {}
        for fmt in Format:
            files[fmt] = tmp_path / f"report.{fmt.value}"
            argv += ["--format", fmt.value, "-o", str(files[fmt])]
        code = cli.main([*argv, "--format", "terminal", *(["-v"] if verbose else [])])
    captured = capsys.readouterr()
    assert code == 1
    assert "SMOKE001" in captured.out and "Smoke flow" in captured.out
    texts = {"stdout": captured.out, "stderr": captured.err}
    texts |= {fmt.value: path.read_text(encoding="utf-8") for fmt, path in files.items()}
    for name, text in texts.items():
        assert PASSWORD not in text, f"password in {name}"
    assert "<testcase" in texts["junit"] and "SMOKE001" in texts["md"]


def test_smoke_command_without_smoke_section(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "launchready.toml"
    config.write_text('[app]\nname = "x"\n', encoding="utf-8")
    assert cli.main(["smoke", "--config", str(config)]) == 2
    assert "smoke: no smoke steps configured" in capsys.readouterr().err

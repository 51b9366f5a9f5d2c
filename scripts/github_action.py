"""The run step of the launchready GitHub Action (``action.yml``).

Runs one launchready command, writes SARIF, JSON and Markdown reports, appends the Markdown
report (the 48-hour plan and the open findings) to ``$GITHUB_STEP_SUMMARY``, annotates the
findings that have a file and line, and sets the step outputs. It always exits 0 after writing
``exit-code`` to ``$GITHUB_OUTPUT``: the action's last step exits with that code, so the SARIF
upload in between runs whatever the verdict was.

``new-only`` compares with the merge base: the same command runs on a detached worktree of
``git merge-base BASE HEAD`` (BASE: the pull request's base commit, else ``base-ref``) and its
findings become the baseline, so only findings the change introduces count for the exit code.
A ``baseline`` file given as well is merged into it. ``smoke`` and ``perf`` judge a live
deployment, not the code, so ``new-only`` is refused for them; ``perf``'s ``baseline`` is its
p95 baseline.

Inputs come from ``LAUNCHREADY_*`` environment variables (the action maps its inputs there and
never interpolates them into a shell line); the GitHub ones are the runner's usual variables.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

COMMANDS = ("audit", "secrets", "env", "smoke", "perf")
LIVE_COMMANDS = ("smoke", "perf")
FAIL_ON = ("critical", "high", "medium", "low", "info", "never")
#: GitHub refuses a step summary over 1 MiB; leave room for the heading and the note
SUMMARY_LIMIT = 1_000_000
#: annotations beyond this many per step are not shown by GitHub; the SARIF has them all
MAX_ANNOTATIONS = 50
EXIT_USAGE = 2


class ActionError(Exception):
    """A problem with the action's inputs or the checkout; reported as exit code 2."""


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(kind: str, message: str, **props: str | int) -> str:
    """``::kind prop=value,...::message`` with GitHub's escaping."""
    rendered = ",".join(f"{k}={_escape_property(str(v))}" for k, v in props.items())
    return f"::{kind}{' ' + rendered if rendered else ''}::{_escape_data(message)}"


def _level(severity: str) -> str:
    return {"critical": "error", "high": "error", "medium": "warning"}.get(severity, "notice")


def finding_annotations(report: Mapping[str, object], workdir: str) -> list[str]:
    """Workflow commands that put each open file finding on its line in the pull request."""
    out: list[str] = []
    findings = report.get("findings")
    for f in findings if isinstance(findings, list) else []:
        if not isinstance(f, dict) or f.get("suppressed") or not isinstance(f.get("location"),
                                                                              dict):
            continue
        loc = f["location"]
        path = str(loc.get("path") or "")
        if not path or os.path.isabs(path):
            continue
        if workdir not in ("", "."):
            path = os.path.normpath(os.path.join(workdir, path))
        props: dict[str, str | int] = {"file": path}
        if isinstance(loc.get("line"), int):
            props["line"] = loc["line"]
        props["title"] = f"{f.get('rule_id')} {f.get('title')}"
        message = f"{f.get('evidence', '')}\n{f.get('fix', '')}".strip()
        out.append(workflow_command(_level(str(f.get("severity"))), message, **props))
        if len(out) == MAX_ANNOTATIONS:
            break
    return out


def summary(markdown: str, *, command: str, base: str | None) -> str:
    """The step summary: a heading, what was compared, then the Markdown report (capped)."""
    head = f"## launchready {command}\n\n"
    if base:
        head += (f"Only findings this change introduces count: the baseline is the same "
                 f"command on the merge base `{base[:12]}`.\n\n")
    budget = SUMMARY_LIMIT - len(head.encode())
    body = markdown
    if len(body.encode()) > budget:
        cut = body.encode()[:budget].decode("utf-8", "ignore")
        cut = cut[:cut.rfind("\n") + 1]
        body = cut + ("\n> The report is longer than a step summary may be; the full "
                      "Markdown, JSON and SARIF reports are in the step outputs' files.\n")
    return head + body


def _git(args: Sequence[str], cwd: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[0]
        raise ActionError(f"git {args[0]}: {first}")
    return proc.stdout.strip()


def base_commit(env: Mapping[str, str], cwd: str) -> str:
    """The merge base of HEAD and the pull request's base (or ``base-ref``)."""
    base = env.get("LAUNCHREADY_BASE_REF", "").strip()
    event_path = env.get("GITHUB_EVENT_PATH", "")
    if not base and event_path and Path(event_path).is_file():
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
        pr = event.get("pull_request") if isinstance(event, dict) else None
        if isinstance(pr, dict) and isinstance(pr.get("base"), dict):
            base = str(pr["base"].get("sha") or "")
    if not base and env.get("GITHUB_BASE_REF"):
        base = f"origin/{env['GITHUB_BASE_REF']}"
    if not base:
        raise ActionError("new-only needs a base to compare with: run it on pull_request "
                          "events or set base-ref")
    try:
        return _git(["merge-base", base, "HEAD"], cwd)
    except ActionError as exc:
        raise ActionError(f"new-only: no merge base of {base} and HEAD ({exc}); check out "
                          "the full history with actions/checkout's fetch-depth: 0") from None


def launchready_argv(env: Mapping[str, str], command: str) -> list[str]:
    """``launchready COMMAND`` with the user's config, args and --fail-on."""
    argv = [env.get("LAUNCHREADY_BIN", "launchready"), command]
    if env.get("LAUNCHREADY_CONFIG", "").strip():
        argv += ["--config", env["LAUNCHREADY_CONFIG"].strip()]
    argv += shlex.split(env.get("LAUNCHREADY_ARGS", ""))
    return argv


def _merge_baselines(paths: Sequence[str], dest: Path) -> None:
    from launchready.baseline import load_baseline  # noqa: PLC0415 - installed by the action

    prints: set[str] = set()
    for p in paths:
        prints |= load_baseline(p)
    dest.write_text(json.dumps({"version": 1, "fingerprints": sorted(prints)}) + "\n",
                    encoding="utf-8")


def _base_report(argv: list[str], base: str, workdir: str, tmp: Path) -> str | None:
    """Run the command on a worktree of ``base``; the JSON report's path, or None."""
    top = _git(["rev-parse", "--show-toplevel"], workdir)
    tree = tmp / "base"
    _git(["worktree", "add", "--detach", "--force", str(tree), base], top)
    try:
        rel = os.path.relpath(os.path.abspath(workdir), top)
        out = tmp / "base.json"
        proc = subprocess.run([*argv, "--fail-on", "never", "-q", "--format", "json",
                               "-o", str(out)], cwd=tree / rel, capture_output=True,
                              text=True, check=False)
        if proc.returncode == EXIT_USAGE or not out.is_file():
            reason = (proc.stderr.strip().splitlines() or ["no report"])[-1]
            print(workflow_command("warning", f"the merge base {base[:12]} could not be "
                                              f"checked ({reason}); every finding counts as "
                                              "new"))
            return None
        return str(out)
    finally:
        _git(["worktree", "remove", "--force", str(tree)], top)


def run_action(env: Mapping[str, str]) -> int:
    """Do the step's work; return launchready's exit code (2 for a bad input)."""
    command = env.get("LAUNCHREADY_COMMAND", "audit").strip() or "audit"
    fail_on = env.get("LAUNCHREADY_FAIL_ON", "high").strip() or "high"
    if command not in COMMANDS:
        raise ActionError(f"command: {command!r} is not one of {', '.join(COMMANDS)}")
    if fail_on not in FAIL_ON:
        raise ActionError(f"fail-on: {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    new_only = _truthy(env.get("LAUNCHREADY_NEW_ONLY", "false"))
    if new_only and command in LIVE_COMMANDS:
        raise ActionError(f"new-only compares the code with its merge base; {command} judges "
                          "a live deployment (use baseline for perf's p95 baseline)")
    workdir = env.get("LAUNCHREADY_WORKING_DIRECTORY", ".").strip() or "."
    if not Path(workdir).is_dir():
        raise ActionError(f"working-directory: {workdir} does not exist")
    baseline = env.get("LAUNCHREADY_BASELINE", "").strip()
    if baseline and not Path(workdir, baseline).is_file():
        raise ActionError(f"baseline: {baseline} does not exist in {workdir}")
    out_dir = Path(env.get("RUNNER_TEMP") or tempfile.gettempdir()) / "launchready"
    out_dir.mkdir(parents=True, exist_ok=True)
    sarif = Path(env.get("LAUNCHREADY_SARIF_FILE", "").strip() or out_dir / "report.sarif")
    report_json, report_md = out_dir / "report.json", out_dir / "report.md"
    argv = launchready_argv(env, command)

    base = None
    baselines = [str(Path(workdir, baseline).resolve())] if baseline else []
    with tempfile.TemporaryDirectory(dir=out_dir) as scratch:
        if new_only:
            base = base_commit(env, workdir)
            base_json = _base_report(argv, base, workdir, Path(scratch))
            if base_json is not None:
                baselines.append(base_json)
        if command == "perf" or len(baselines) <= 1:
            chosen = baselines[0] if baselines else None
        else:
            chosen = str(Path(scratch) / "baseline.json")
            _merge_baselines(baselines, Path(chosen))
        full = [*argv, "--fail-on", fail_on, "-q",
                "--format", "sarif", "-o", str(sarif.resolve()),
                "--format", "json", "-o", str(report_json),
                "--format", "md", "-o", str(report_md),
                "--format", "terminal"]
        if chosen:
            full += ["--baseline", chosen]
        print(f"$ {shlex.join(full)}", flush=True)
        code = subprocess.run(full, cwd=workdir, check=False).returncode

    outputs = {"exit-code": str(code), "sarif": str(sarif.resolve()),
               "report-json": str(report_json), "report-md": str(report_md)}
    if report_json.is_file():
        report = json.loads(report_json.read_text(encoding="utf-8"))
        for line in finding_annotations(report, workdir):
            print(line)
        open_findings = [f for f in report.get("findings", []) if not f.get("suppressed")]
        outputs["findings"] = str(len(open_findings))
        outputs["score"] = str(report.get("score", ""))
    if report_md.is_file() and env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as fh:
            fh.write(summary(report_md.read_text(encoding="utf-8"), command=command,
                             base=base))
    if code not in (0, 1):
        print(workflow_command("error", f"launchready {command} exited {code}: "
                                        + ("usage or config error" if code == EXIT_USAGE
                                           else "the run is incomplete")))
    write_outputs(env, outputs)
    return code


def write_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    """Append ``name=value`` lines to ``$GITHUB_OUTPUT`` (values are single-line paths)."""
    target = env.get("GITHUB_OUTPUT")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as fh:
        for key, value in outputs.items():
            fh.write(f"{key}={value}\n")


def main() -> int:
    """Entry point: always exit 0, leaving the verdict in the ``exit-code`` output."""
    env = dict(os.environ)
    if shutil.which(env.get("LAUNCHREADY_BIN", "launchready")) is None:
        print(workflow_command("error", "launchready is not installed in this job"))
        write_outputs(env, {"exit-code": str(EXIT_USAGE)})
        return 0
    try:
        run_action(env)
    except ActionError as exc:
        print(workflow_command("error", str(exc)))
        write_outputs(env, {"exit-code": str(EXIT_USAGE)})
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The GitHub Action: ``action.yml`` against the published metadata schema, and its script steps
run here with the variables a GitHub runner sets."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
SCRIPT = ROOT / "scripts" / "github_action.py"
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
BIN = Path(sys.executable).parent
OLD = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc" + "Qx81Zm"
NEW = "sk_" + "live_" + "9fR2kLmN4pQ7sT1vW3xY5zA8" + "Bc62Hd"
IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

sys.path.insert(0, str(ROOT / "scripts"))
import github_action  # noqa: E402


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env={**os.environ, **IDENTITY}).stdout.strip()


def test_action_yml_is_valid_action_metadata() -> None:
    schema = json.loads((DATA / "schemastore" / "github-action.json").read_text())
    jsonschema.validate(ACTION, schema)
    assert ACTION["runs"]["using"] == "composite"


def test_inputs_reach_the_script_only_through_the_environment() -> None:
    steps = ACTION["runs"]["steps"]
    for step in steps:
        # `${{ inputs.x }}` inside a shell line would let an input inject shell code
        assert "${{" not in step.get("run", ""), step["name"]
    run_step = next(s for s in steps if s.get("id") == "run")
    mapped = set(re.findall(r"inputs\.([a-z-]+)", json.dumps(run_step["env"])))
    used_elsewhere = {"python-version", "version", "upload-sarif"}
    assert mapped | used_elsewhere == set(ACTION["inputs"])
    assert ACTION["outputs"]["exit-code"]["value"] == "${{ steps.run.outputs.exit-code }}"


@pytest.mark.parametrize("code", [0, 1, 2, 3])
def test_gate_step_exits_with_the_recorded_code(code: int) -> None:
    gate = next(s for s in ACTION["runs"]["steps"] if s["name"] == "Gate on the verdict")
    proc = subprocess.run(["bash", "-c", gate["run"]], env={"LAUNCHREADY_EXIT": str(code)},
                          check=False)
    assert proc.returncode == code


@pytest.fixture
def pull_request(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose main has a known secret and whose PR branch adds a second one."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "legacy.py").write_text(f"KEY = '{OLD}'\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "legacy")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "billing.py").write_text(f"import os\n\nSTRIPE = '{NEW}'\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "billing")
    return repo, base


def run_step(repo: Path, tmp_path: Path, base: str | None = None,
             **inputs: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    """Run the action's run step as the runner would; (process, outputs, step summary)."""
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir(exist_ok=True)
    summary, output = runner_temp / "summary.md", runner_temp / "output.txt"
    summary.write_text("")
    output.write_text("")
    event = runner_temp / "event.json"
    event.write_text(json.dumps({"pull_request": {"base": {"sha": base or "0" * 40}}}))
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
           "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
           "GITHUB_EVENT_PATH": str(event), "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_OUTPUT": str(output), "GITHUB_WORKSPACE": str(repo),
           "GITHUB_BASE_REF": "main", "RUNNER_TEMP": str(runner_temp), **IDENTITY}
    env.update({f"LAUNCHREADY_{k.upper()}": v for k, v in inputs.items()})
    proc = subprocess.run([sys.executable, str(SCRIPT)], cwd=repo, env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return proc, outputs, summary.read_text()


def test_new_only_gates_on_the_findings_the_change_introduces(
        pull_request: tuple[Path, str], tmp_path: Path) -> None:
    repo, base = pull_request
    proc, outputs, summary = run_step(repo, tmp_path, base, command="secrets", args=".",
                                      new_only="true")
    assert proc.returncode == 0, proc.stderr
    # Then only billing.py counts: the legacy key is in the merge base's report
    assert outputs["exit-code"] == "1" and outputs["findings"] == "1"
    assert "::error file=billing.py,line=3,title=SEC001 " in proc.stdout
    assert "legacy.py" not in proc.stdout.split("$ launchready")[0]
    assert "## launchready secrets" in summary and f"`{base[:12]}`" in summary
    assert "48-hour plan" in summary and "billing.py:3" in summary
    assert OLD not in summary and NEW not in summary and NEW not in proc.stdout
    sarif = json.loads(Path(outputs["sarif"]).read_text())
    jsonschema.validate(sarif, json.loads((DATA / "sarif-schema-2.1.0.json").read_text()))
    results = sarif["runs"][0]["results"]
    assert sum(1 for r in results if not r.get("suppressions")) == 1
    assert not list((tmp_path / "runner" / "launchready").glob("tmp*"))  # scratch removed
    assert git(repo, "worktree", "list").count("\n") == 0  # the base worktree is gone


def test_without_new_only_every_finding_counts(pull_request: tuple[Path, str],
                                               tmp_path: Path) -> None:
    repo, _ = pull_request
    _, outputs, summary = run_step(repo, tmp_path, command="secrets", args=".")
    assert (outputs["exit-code"], outputs["findings"]) == ("1", "2")
    assert "merge base" not in summary
    never = run_step(repo, tmp_path, command="secrets", args=".", fail_on="never")[1]
    assert never["exit-code"] == "0"


def test_clean_change_passes_with_new_only(pull_request: tuple[Path, str],
                                           tmp_path: Path) -> None:
    repo, base = pull_request
    (repo / "billing.py").write_text("import os\n\nSTRIPE = os.environ['STRIPE_SECRET_KEY']\n")
    git(repo, "commit", "-q", "-am", "read it from the environment")
    proc, outputs, summary = run_step(repo, tmp_path, base, command="secrets", args=".",
                                      new_only="true")
    assert (outputs["exit-code"], outputs["findings"]) == ("0", "0"), proc.stdout
    assert "Suppressed by the baseline (1)" in summary


def test_new_only_on_a_shallow_clone_says_what_to_fix(pull_request: tuple[Path, str],
                                                      tmp_path: Path) -> None:
    repo, base = pull_request
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature",
                    f"file://{repo}", str(shallow)], check=True)
    proc, outputs, _ = run_step(shallow, tmp_path, base, command="secrets", args=".",
                                new_only="true")
    assert outputs["exit-code"] == "2"
    assert "::error::new-only: no merge base" in proc.stdout and "fetch-depth: 0" in proc.stdout


@pytest.mark.parametrize(("inputs", "message"), [
    ({"command": "deploy"}, "command: 'deploy' is not one of"),
    ({"command": "secrets", "fail_on": "severe"}, "fail-on: 'severe'"),
    ({"command": "perf", "new_only": "true"}, "perf judges a live deployment"),
    ({"command": "secrets", "baseline": "missing.json"}, "baseline: missing.json does not"),
], ids=["command", "fail-on", "new-only-perf", "baseline"])
def test_bad_inputs_exit_2_with_an_error_annotation(pull_request: tuple[Path, str],
                                                    tmp_path: Path, inputs: dict[str, str],
                                                    message: str) -> None:
    repo, _ = pull_request
    proc, outputs, _ = run_step(repo, tmp_path, **inputs)
    assert outputs == {"exit-code": "2"}
    assert proc.stdout.startswith("::error::") and message in proc.stdout


def test_usage_error_of_launchready_is_exit_2(pull_request: tuple[Path, str],
                                              tmp_path: Path) -> None:
    repo, _ = pull_request
    proc, outputs, _ = run_step(repo, tmp_path, command="secrets", config="no-such.toml")
    assert outputs["exit-code"] == "2"
    assert "usage or config error" in proc.stdout


def test_summary_stays_under_githubs_limit() -> None:
    big = "".join(f"- finding {i} " + "x" * 200 + "\n" for i in range(20_000))
    text = github_action.summary(big, command="audit", base=None)
    assert len(text.encode()) <= github_action.SUMMARY_LIMIT + 300
    assert text.startswith("## launchready audit") and "longer than a step summary" in text
    assert github_action.summary("# r\n", command="env", base=None) == "## launchready env\n\n# r\n"


def test_annotation_escaping() -> None:
    line = github_action.workflow_command("error", "50% done\nnext", file="a,b:c.py", line=3)
    assert line == "::error file=a%2Cb%3Ac.py,line=3::50%25 done%0Anext"

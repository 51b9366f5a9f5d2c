"""`launchready build`: real clean builds (npm + esbuild from the npm registry), real git
repositories, migrations read without running them, and no trace left behind."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from launchready.build.migrations import analyze
from launchready.build.output import scan_output, url_kind
from launchready.build.workspace import PREFIX
from launchready.cli import main
from launchready.probes.git import git_env

DATA = Path(__file__).parent / "data" / "build_projects"
# assembled at run time: a Stripe-shaped live key that is no one's credential
FAKE_KEY = "sk_" + "live_" + "51Hx" + hashlib.sha256(b"build fixture").hexdigest()[:28]
ROLLBACK = '[build]\nrollback = "vercel rollback"\n'


def _git(path: Path, *args: str) -> None:
    env = git_env() | {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test",
                       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.test"}
    subprocess.run(["git", "-C", str(path), "-c", "commit.gpgsign=false", *args], env=env,
                   check=True, capture_output=True, timeout=60)


def make_repo(dest: Path, fixture: str, files: dict[str, str], *, config: str = ROLLBACK,
              untracked: dict[str, str] | None = None) -> Path:
    shutil.copytree(DATA / fixture, dest)
    for rel, text in {**files, "launchready.toml": config}.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text)
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "fixture")
    for rel, text in (untracked or {}).items():
        (dest / rel).write_text(text)
    return dest


def tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(root).parts:
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def leftovers() -> list[str]:
    return sorted(p.name for p in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"))


@pytest.fixture(scope="session")
def npm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One npm cache for the session, filled by one real `npm ci` from the registry."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    cache = tmp_path_factory.getbasetemp() / "npm-cache"
    warm = tmp_path_factory.mktemp("npm-warm")
    shutil.copytree(DATA / "web", warm / "web")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--cache", str(cache)],
                   cwd=warm / "web", check=True, capture_output=True, timeout=300)
    return cache


@pytest.fixture
def build(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
          ) -> Callable[..., tuple[int, dict[str, object]]]:
    def run(repo: Path, *extra: str) -> tuple[int, dict[str, object]]:
        monkeypatch.chdir(repo)
        capsys.readouterr()
        code = main(["build", "--format", "json", "-q", *extra])
        out = capsys.readouterr().out
        return code, json.loads(out)
    return run


@pytest.fixture
def npm_env(npm_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("npm_config_cache", str(npm_cache))
    monkeypatch.setenv("npm_config_prefer_offline", "true")


def rules(report: dict[str, object]) -> set[str]:
    return {f["rule_id"] for f in report["findings"]}  # type: ignore[index,union-attr]


VARIANTS = [
    ("clean", {}, {}, set()),
    ("untracked file", {"src/main.js": 'import { key } from "./local-config.js";\n'
                                       "document.title = key;\n"},
     {"src/local-config.js": 'export const key = "acme";\n'}, {"DEPLOY002"}),
    ("broken import", {"src/main.js": 'import { x } from "./nowhere.js";\nconsole.log(x);\n'},
     {}, {"DEPLOY001"}),
    ("source maps", {"build.options.json": '{"sourcemap": true}\n'}, {}, {"DEPLOY003"}),
    ("preview URL", {"src/api.js": 'export const apiBase = '
                                   '"https://acme-git-feature-login-acme-team.vercel.app/api";\n'},
     {}, {"DEPLOY003"}),
]


@pytest.mark.usefixtures("npm_env")
@pytest.mark.parametrize(("name", "files", "untracked", "expected"), VARIANTS,
                         ids=[v[0] for v in VARIANTS])
def test_web_variant_gives_exactly_its_rule(
        tmp_path: Path, build: Callable[..., tuple[int, dict[str, object]]], name: str,
        files: dict[str, str], untracked: dict[str, str], expected: set[str]) -> None:
    # Given a committed esbuild app, maybe with a file that only the working tree has
    repo = make_repo(tmp_path / "web", "web", files, untracked=untracked)
    before, left_before = tree_hash(repo), leftovers()
    # When it is built from a clean checkout
    code, report = build(repo)
    # Then exactly its rule fires, the working tree is unchanged and no checkout is left
    assert rules(report) == expected, report["findings"]
    assert code == (1 if expected else 0)
    assert tree_hash(repo) == before
    assert leftovers() == left_before
    checks = {c["id"]: c["status"] for c in report["checks"]}  # type: ignore[index,union-attr]
    assert checks["DEPLOY001"] in ("pass", "fail")
    if name == "untracked file":
        finding = report["findings"][0]  # type: ignore[index]
        assert "src/local-config.js" in finding["evidence"]
    if name == "clean":
        tables = {t["title"] for t in report.get("tables", [])}  # type: ignore[union-attr]
        assert not tables or "Build output (entry files)" in tables


@pytest.mark.usefixtures("npm_env")
def test_secret_inlined_through_public_prefix_is_sec003_named_and_masked(
        tmp_path: Path, build: Callable[..., tuple[int, dict[str, object]]]) -> None:
    repo = make_repo(
        tmp_path / "web", "web",
        {"src/api.js": "export const apiBase = import.meta.env.VITE_STRIPE_KEY;\n"},
        config=ROLLBACK + 'env_file = ".env.production"\n',
        untracked={".env.production": f"VITE_STRIPE_KEY={FAKE_KEY}\n"})
    code, report = build(repo)
    assert rules(report) == {"SEC003"}
    assert code == 1
    finding = report["findings"][0]  # type: ignore[index]
    assert "VITE_STRIPE_KEY" in finding["evidence"]
    assert finding["target"].startswith("dist/assets/main.js")
    assert FAKE_KEY not in json.dumps(report)


def test_timeout_stops_the_build_and_leaves_nothing(
        tmp_path: Path, build: Callable[..., tuple[int, dict[str, object]]]) -> None:
    repo = make_repo(tmp_path / "slow", "alembic_app", {},
                     config='[build]\ncommand = "sleep 30"\ntimeout = "1s"\n'
                            'rollback = "heroku rollback"\nmigrations = []\n')
    before, left_before = tree_hash(repo), leftovers()
    started = time.monotonic()
    code, report = build(repo)
    assert time.monotonic() - started < 15
    assert rules(report) == {"DEPLOY001"}
    assert "timed out" in report["findings"][0]["evidence"]  # type: ignore[index]
    assert code == 1
    assert tree_hash(repo) == before
    assert leftovers() == left_before


def test_ctrl_c_removes_the_checkout_and_the_build_processes(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    repo = make_repo(tmp_path / "slow", "alembic_app", {},
                     config=f'[build]\ncommand = "touch {marker} && sleep 60"\n'
                            'rollback = "heroku rollback"\n')
    left_before = tree_hash(repo), leftovers()
    proc = subprocess.Popen([sys.executable, "-m", "launchready", "build", "-q"], cwd=repo,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert (tree_hash(repo), leftovers()) == left_before
    ps = subprocess.run(["ps", "-eo", "args"], check=False, capture_output=True,
                        text=True).stdout
    assert f"touch {marker}" not in ps


def test_alembic_pending_migrations_since_the_release_tag(
        tmp_path: Path, build: Callable[..., tuple[int, dict[str, object]]]) -> None:
    repo = make_repo(tmp_path / "api", "alembic_app", {},
                     config='[build]\ncommand = "python3 -m compileall -q app"\n')
    code, report = build(repo)
    found = {(f["rule_id"], f["target"]) for f in report["findings"]}  # type: ignore[index,union-attr]
    assert found == {
        ("DEPLOY004", "alembic/versions/0002_add_plan.py:16"),
        ("DEPLOY004", "alembic/versions/0003_drop_legacy_name.py:13"),
        ("DEPLOY005", "the deploy target"),
    }
    assert code == 1
    # Given the release tag after 0003, nothing is pending any more and there is a way back
    _git(repo, "tag", "-a", "v0.1.0", "-m", "release")
    code, report = build(repo)
    assert rules(report) == set()
    assert code == 0


def test_django_irreversible_runpython(
        tmp_path: Path, build: Callable[..., tuple[int, dict[str, object]]]) -> None:
    repo = make_repo(tmp_path / "dj", "django_app", {},
                     config='[build]\ncommand = "python3 -m compileall -q billing"\n'
                            'rollback = "fly deploy --image PREVIOUS"\n')
    code, report = build(repo)
    found = [(f["rule_id"], f["target"]) for f in report["findings"]]  # type: ignore[index,union-attr]
    assert found == [("DEPLOY004", "billing/migrations/0002_amounts_in_cents.py:13")]
    assert code == 1


MIGRATIONS = [
    ("alembic downgrade pass", "v/1.py", "def upgrade():\n    op.create_table('t')\n\n"
     "def downgrade():\n    pass\n", ["no downgrade"]),
    ("alembic good", "v/2.py", "def upgrade():\n    op.add_column('t', sa.Column('c'))\n\n"
     "def downgrade():\n    op.drop_column('t', 'c')\n", []),
    ("alembic not null", "v/3.py", "def upgrade():\n    op.add_column('t', sa.Column('c', "
     "sa.Text, nullable=False))\n\ndef downgrade():\n    op.drop_column('t', 'c')\n",
     ["NOT NULL without a default"]),
    ("django runsql", "m/0001_x.py", "class Migration(migrations.Migration):\n    operations ="
     " [migrations.RunSQL('UPDATE t SET a = 1')]\n", ["irreversible step"]),
    ("django runsql reversible", "m/0002_x.py", "class Migration(migrations.Migration):\n"
     "    operations = [migrations.RunSQL('UPDATE t SET a = 1', reverse_sql='UPDATE t SET a"
     " = 0')]\n", []),
    ("prisma drop column", "prisma/migrations/1/migration.sql",
     '-- DropColumn\nALTER TABLE "User" DROP COLUMN "name";\n', ["drops data"]),
    ("prisma add not null", "prisma/migrations/2/migration.sql",
     'ALTER TABLE "User" ADD COLUMN "plan" TEXT NOT NULL;\n', ["NOT NULL without a default"]),
    ("prisma add not null default", "prisma/migrations/3/migration.sql",
     "ALTER TABLE \"User\" ADD COLUMN \"plan\" TEXT NOT NULL DEFAULT 'free';\n", []),
    ("knex down drops what up made", "migrations/1_t.js",
     "exports.up = (k) => k.schema.createTable('t', (t) => t.increments());\n"
     "exports.down = (k) => k.schema.dropTable('t');\n", []),
    ("knex rename", "migrations/2_t.js",
     "exports.up = (k) => k.schema.table('t', (t) => t.renameColumn('a', 'b'));\n"
     "exports.down = (k) => k.schema.table('t', (t) => t.renameColumn('b', 'a'));\n",
     ["rename in place"]),
    ("typeorm drop column in up", "migrations/3_t.ts",
     "export class T3 implements MigrationInterface {\n"
     "  public async up(q: QueryRunner): Promise<void> {\n"
     '    await q.query(`ALTER TABLE "user" DROP COLUMN "name"`);\n  }\n'
     "  public async down(q: QueryRunner): Promise<void> {\n"
     '    await q.query(`ALTER TABLE "user" ADD "name" varchar`);\n  }\n}\n',
     ["drops data"]),
    ("rails remove column", "db/migrate/1_x.rb",
     "class X < ActiveRecord::Migration[7.1]\n  def change\n    remove_column :users, :name\n"
     "  end\nend\n", ["drops data"]),
    ("laravel drop in up", "database/migrations/1_x.php",
     "<?php\nreturn new class extends Migration {\n public function up(): void {\n"
     "  Schema::table('users', function (Blueprint $t) { $t->dropColumn('name'); });\n }\n"
     " public function down(): void { Schema::dropIfExists('x'); }\n};\n", ["drops data"]),
]


@pytest.mark.parametrize(("name", "rel", "text", "expected"), MIGRATIONS,
                         ids=[m[0] for m in MIGRATIONS])
def test_migration_rules(tmp_path: Path, name: str, rel: str, text: str,
                         expected: list[str]) -> None:
    path = tmp_path / rel
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert [p.problem for p in analyze(path, rel)] == expected


@pytest.mark.parametrize(("host", "kind"), [
    ("localhost", "local URL"), ("127.0.0.1", "local URL"), ("api.internal", "local URL"),
    ("acme-git-main-team.vercel.app", "preview URL"),
    ("deploy-preview-12--acme.netlify.app", "preview URL"),
    ("staging.acme.example", "staging URL"), ("api-staging.acme.example", "staging URL"),
    ("api.acme.example", None), ("acme.vercel.app", None), ("dev.to", None),
    ("developer.mozilla.org", None), ("www.w3.org", None),
])
def test_url_kinds(host: str, kind: str | None) -> None:
    assert url_kind(host) == kind


def test_output_scan_finds_maps_debug_flags_and_sizes(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text(
        'const c={debug:!0,api:"http://user:pw@localhost:3000/x"};\n'
        "//# sourceMappingURL=app.js.map\n")
    (tmp_path / "assets" / "app.js.map").write_text("{}")
    (tmp_path / "assets" / "lib.js").write_text('var e={debug:!1,url:"https://acme.example"}')
    facts = scan_output(tmp_path)
    shipped = {(s.kind, s.value) for s in facts.shipped}
    assert shipped == {("source map", "*.map files"), ("debug flag", "debug:!0"),
                       ("local URL", "http://localhost:3000")}
    assert [e.path for e in facts.entries] == ["assets/app.js", "assets/lib.js"]
    assert "pw" not in repr(facts)


def test_no_config_and_no_build_is_a_usage_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["build", "-q"]) == 2
    assert "build.command" in capsys.readouterr().err
    assert main(["build", "--env-file", "nope.env"]) == 2


def test_environment_holds_no_developer_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    from launchready.build.environment import phase_environment

    environ = {"PATH": "/bin", "AWS_SECRET_ACCESS_KEY": "x" * 40, "npm_config_cache": "/c"}
    build_env = phase_environment({"VITE_API": "https://api"}, install=False, environ=environ)
    install_env = phase_environment({"VITE_API": "https://api"}, install=True, environ=environ)
    assert "AWS_SECRET_ACCESS_KEY" not in build_env | install_env
    assert build_env["VITE_API"] == "https://api" and build_env["NODE_ENV"] == "production"
    assert "VITE_API" not in install_env and install_env["npm_config_cache"] == "/c"
    assert os.environ.get("VITE_API") is None


def test_handover_rollback_runbook_uses_the_recorded_and_the_platform_command(
        tmp_path: Path) -> None:
    from launchready.config.models import Config
    from launchready.handover.gather import deploy_rollback
    from launchready.handover.runbook import runbook

    (tmp_path / "fly.toml").write_text('app = "acme"\n')
    config = Config.model_validate({"build": {"rollback": "make rollback"}}).model_copy(
        update={"folder": tmp_path})
    entry = next(e for e in runbook(config, (), deploy_rollback(config))
                 if e.title.startswith("A deploy broke auth"))
    assert entry.commands[1:4] == (
        "make rollback",
        "fly releases --image -a APP && fly deploy -a APP --image PREVIOUS_IMAGE",
        "git revert --no-edit BAD_COMMIT && git push  # when the host deploys from git")


def test_unreachable_registry_is_an_incomplete_run_not_a_finding(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        build: Callable[..., tuple[int, dict[str, object]]]) -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    # Given a registry address nothing listens on (loopback port 9) and an empty cache
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    repo = make_repo(tmp_path / "web", "web", {})
    code, report = build(repo)
    assert rules(report) == set()
    checks = {c["id"]: c for c in report["checks"]}  # type: ignore[index,union-attr]
    assert checks["DEPLOY001"]["status"] == "error"
    assert "package registry" in checks["DEPLOY001"]["error"]
    assert code == 3


PLANS = [
    ("npm + vite script", {"package.json": '{"scripts": {"build": "vite build"}, '
                                           '"devDependencies": {"vite": "7.1.0"}}',
                           "package-lock.json": "{}"},
     ("Vite", "npm ci --no-audit --no-fund", "npm run build", "dist")),
    ("pnpm + next", {"package.json": '{"dependencies": {"next": "15.0.0"}}',
                     "pnpm-lock.yaml": ""},
     ("Next.js", "pnpm install --frozen-lockfile", "pnpm exec next build", ".next/static")),
    ("yarn berry + astro", {"package.json": '{"scripts": {"build": "astro build"}, '
                                            '"dependencies": {"astro": "5.0.0"}}',
                            "yarn.lock": "", ".yarnrc.yml": ""},
     ("Astro", "yarn install --immutable", "yarn run build", "dist")),
    ("yarn 1 + CRA", {"package.json": '{"scripts": {"build": "react-scripts build"}, '
                                      '"dependencies": {"react-scripts": "5.0.1"}}',
                      "yarn.lock": ""},
     ("Create React App", "yarn install --frozen-lockfile", "yarn run build", "build")),
    ("uv package", {"pyproject.toml": '[build-system]\nbuild-backend = "hatchling.build"\n',
                    "uv.lock": ""},
     ("Python package (hatchling)", "uv sync --frozen",
      "python3 -m pip wheel --no-deps -w dist .", None)),
]


@pytest.mark.parametrize(("name", "files", "expected"), PLANS, ids=[p[0] for p in PLANS])
def test_detected_plan(tmp_path: Path, name: str, files: dict[str, str],
                       expected: tuple[str, str, str, str | None]) -> None:
    from launchready.build.detect import detect_plan

    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    plan = detect_plan(tmp_path, None)
    assert plan is not None
    assert (plan.framework, plan.install, plan.command, plan.output) == expected


def test_nothing_to_build_is_no_plan(tmp_path: Path) -> None:
    from launchready.build.detect import detect_plan
    from launchready.config.models import BuildConfig

    assert detect_plan(tmp_path, None) is None
    assert detect_plan(tmp_path, BuildConfig(output="public")) is None
    plan = detect_plan(tmp_path, BuildConfig(command="make site", output="public"))
    assert plan is not None and (plan.command, plan.output, plan.install) == (
        "make site", "public", None)


def test_secrets_in_a_failed_build_log_are_masked(
        tmp_path: Path, build: Callable[..., tuple[int, dict[str, object]]]) -> None:
    # Given a build that prints a production value and a token-shaped literal, then fails
    token = "sk_" + "live_" + "51Qz" + hashlib.sha256(b"log token").hexdigest()[:28]
    repo = make_repo(
        tmp_path / "leaky", "alembic_app", {"build.sh": f'echo "error: key=$STRIPE_KEY {token}"\n'
                                                        'echo "error: cannot build" >&2\n'
                                                        "exit 1\n"},
        config='[build]\ncommand = "sh build.sh"\nenv_file = ".env.production"\n'
               'rollback = "heroku rollback"\nmigrations = []\n',
        untracked={".env.production": f"STRIPE_KEY={FAKE_KEY}\n"})
    code, report = build(repo)
    assert rules(report) == {"DEPLOY001"}
    assert code == 1
    text = json.dumps(report)
    assert FAKE_KEY not in text and token not in text
    evidence = report["findings"][0]["evidence"]  # type: ignore[index]
    assert "error: cannot build" in evidence and FAKE_KEY[-4:] in evidence
    log = next(t for t in report["tables"] if t["title"] == "Clean build")["rows"][-1][1]  # type: ignore[index,union-attr]
    saved = Path(log).read_text()
    assert FAKE_KEY not in saved and token not in saved and "cannot build" in saved
    Path(log).unlink()


def test_a_missing_build_tool_is_an_incomplete_run(
        tmp_path: Path, build: Callable[..., tuple[int, dict[str, object]]]) -> None:
    repo = make_repo(tmp_path / "notool", "alembic_app", {},
                     config='[build]\ncommand = "no-such-bundler-xyz build"\n'
                            'rollback = "heroku rollback"\nmigrations = []\n')
    code, report = build(repo)
    assert rules(report) == set()
    checks = {c["id"]: c for c in report["checks"]}  # type: ignore[index,union-attr]
    assert "not installed" in checks["DEPLOY001"]["error"]
    assert code == 3
    # a program the project itself should have installed is the project's problem
    repo = make_repo(tmp_path / "nobin", "alembic_app", {},
                     config='[build]\ncommand = "sh -c no-such-bundler-xyz"\n'
                            'rollback = "heroku rollback"\nmigrations = []\n')
    code, report = build(repo)
    assert rules(report) == {"DEPLOY001"}


def test_workspace_lockfile_above_the_project_installs_at_the_workspace_root(
        tmp_path: Path) -> None:
    from launchready.build.detect import detect_plan

    (tmp_path / ".git").mkdir()
    (tmp_path / "package-lock.json").write_text("{}")
    web = tmp_path / "apps" / "web"
    web.mkdir(parents=True)
    (web / "package.json").write_text('{"scripts": {"build": "vite build"}, '
                                      '"devDependencies": {"vite": "7.1.0"}}')
    plan = detect_plan(web, None)
    assert plan is not None
    assert (plan.install, plan.install_dir, plan.command) == (
        "npm ci --no-audit --no-fund", "../..", "npm run build")
    # the search stops at the top of the repository
    (tmp_path / "package-lock.json").unlink()
    plan = detect_plan(web, None)
    assert plan is not None and plan.install_dir == "." and plan.notes


def test_a_machine_program_this_user_may_not_run_is_an_incomplete_run(
        tmp_path: Path, build: Callable[..., tuple[int, dict[str, object]]]) -> None:
    # Given a build command naming an interpreter of this machine that this user cannot execute
    # (as for a Python under another user's home)
    locked = tmp_path / "machine" / "python"
    locked.parent.mkdir()
    locked.write_text("#!/bin/sh\nexit 0\n")
    locked.chmod(0o644)
    repo = make_repo(tmp_path / "locked", "alembic_app", {},
                     config=f'[build]\ncommand = "{locked} build.py"\n'
                            'rollback = "heroku rollback"\nmigrations = []\n')
    code, report = build(repo)
    # Then the check says it could not build, and finds nothing about the project
    assert rules(report) == set()
    checks = {c["id"]: c for c in report["checks"]}  # type: ignore[index,union-attr]
    assert "cannot be run by this user" in checks["DEPLOY001"]["error"]
    assert code == 3
    # a script the project committed without its executable bit fails on the platform too
    repo = make_repo(tmp_path / "nobit", "alembic_app", {"build.sh": "#!/bin/sh\nexit 0\n"},
                     config='[build]\ncommand = "./build.sh"\n'
                            'rollback = "heroku rollback"\nmigrations = []\n')
    (repo / "build.sh").chmod(0o644)
    code, report = build(repo)
    assert rules(report) == {"DEPLOY001"}

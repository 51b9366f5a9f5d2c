"""The demo's frontend repository and its production build, for the DEPLOY checks.

The build is a small Python script (no network, no npm): it writes ``dist/`` from ``src/``.
The flawed repository's build ships a source map and calls ``http://localhost:8000`` from the
bundle (DEPLOY003), has a pending Alembic migration that drops a column with a ``downgrade()``
that does nothing (DEPLOY004), and records no way back (DEPLOY005). The fixed one reads the API
base from the production environment, ships no map, splits the drop over two releases and is
tagged ``v1.0.0`` with ``[build] rollback`` recorded in the config.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from launchready.probes.git import run_git

BUILD_SCRIPT = '''"""Production build of the Acme Dashboard frontend: src/ -> dist/."""
import json
import os
import pathlib

options = json.loads(pathlib.Path("build.json").read_text())
api = os.environ.get("ACME_PUBLIC_API_URL", options.get("api", "/api"))
source = pathlib.Path("src/app.js").read_text().replace("__API__", api)
out = pathlib.Path("dist/assets")
out.mkdir(parents=True, exist_ok=True)
pathlib.Path("dist/index.html").write_text(
    '<!doctype html><title>Acme</title><script src="/assets/app.js"></script>')
if options.get("sourcemap"):
    source += "\\n//# sourceMappingURL=app.js.map\\n"
    (out / "app.js.map").write_text(json.dumps(
        {"version": 3, "sources": ["src/app.js"], "sourcesContent": [source], "mappings": ""}))
(out / "app.js").write_text(source)
'''

APP = '''const API = "__API__";
export async function loadDashboard() {
  const res = await fetch(API + "/dashboard", { credentials: "include" });
  return res.json();
}
'''

MIGRATION_OK = '''"""add accounts.plan"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("accounts", sa.Column("plan", sa.String(20), server_default="free"))


def downgrade():
    op.drop_column("accounts", "plan")
'''

MIGRATION_BAD = '''"""replace accounts.name by accounts.display_name"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("accounts", sa.Column("display_name", sa.String(200)))
    op.drop_column("accounts", "name")


def downgrade():
    pass
'''

ROLLBACK = "git revert --no-edit BAD_COMMIT && git push"


def build_command() -> str:
    """The demo's ``[build] command``: this Python running the repository's build script, or
    the ``python3`` on PATH when this user cannot start this Python by its path."""
    python = sys.executable
    if not os.access(python, os.X_OK):
        # an interpreter under another user's home, started through a path this user cannot
        # traverse (setpriv keeps root's capabilities for that one exec): the build's shell
        # cannot start it, any Python 3 runs the build script
        python = shutil.which("python3") or shutil.which("python") or python
    return f"{shlex.quote(python)} build.py"


def _git(path: Path, *args: str) -> None:
    run_git(path, ["-c", "user.name=Acme Dev", "-c", "user.email=dev@acme.example",
                   "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args], timeout=60)


def make_web_repo(path: Path, *, fixed: bool) -> Path:
    """Create the frontend repository at ``path`` (which must not exist or be empty)."""
    (path / "src").mkdir(parents=True, exist_ok=True)
    versions = path / "alembic" / "versions"
    versions.mkdir(parents=True)
    (path / ".gitignore").write_text("dist/\n")
    (path / "build.py").write_text(BUILD_SCRIPT)
    (path / "src" / "app.js").write_text(APP)
    (path / "build.json").write_text(
        '{"api": "/api"}\n' if fixed else '{"api": "http://localhost:8000/api", '
                                          '"sourcemap": true}\n')
    (versions / "0002_accounts.py").write_text(MIGRATION_OK if fixed else MIGRATION_BAD)
    (path / "alembic" / "env.py").write_text('"""Alembic environment."""\n')
    _git(path, "init", "-q", "-b", "main")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "Acme Dashboard frontend")
    if fixed:
        _git(path, "tag", "-a", "v1.0.0", "-m", "release 1.0.0")
    return path

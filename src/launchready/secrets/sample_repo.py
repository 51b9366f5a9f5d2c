"""A small git repository for the demo: a secret added and then removed when ``fixed`` is False.

The flawed repository commits a Stripe-shaped live key in ``src/billing.py``, then a commit
replaces it with ``os.environ[...]``: HEAD is clean but history still holds the key (SEC002).
It also tracks ``.env`` (SEC006). The fixed repository only ever reads the key from the
environment and ignores ``.env``. The key is assembled at run time and is no one's credential.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from launchready.probes.git import run_git


def demo_secret() -> str:
    """The Stripe-shaped live key planted in the flawed sample history."""
    body = hashlib.sha256(b"launchready demo sample repo").hexdigest()[:24]
    return "sk_" + "live_" + "51" + body.upper()[:10] + body[10:]


def _git(path: Path, *args: str, date: str = "2026-01-05T10:00:00+00:00") -> None:
    env = {"GIT_AUTHOR_NAME": "Acme Dev", "GIT_AUTHOR_EMAIL": "dev@acme.example",
           "GIT_COMMITTER_NAME": "Acme Dev", "GIT_COMMITTER_EMAIL": "dev@acme.example",
           "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    run_git(path, args, env=env, timeout=60)


def make_sample_repo(path: Path, *, fixed: bool) -> Path:
    """Create the sample repository at ``path`` (which must not exist or be empty)."""
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", "main")
    src = path / "src"
    src.mkdir(exist_ok=True)
    (path / "README.md").write_text("# Acme Dashboard\n\nBilling service for the demo.\n")
    (path / ".gitignore").write_text(".env\n" if fixed else "node_modules/\n")
    env_line = "STRIPE_SECRET_KEY=${STRIPE_SECRET_KEY}\n"
    billing_env = ('import os\n\nSTRIPE_KEY = os.environ["STRIPE_SECRET_KEY"]\n\n\n'
                   "def charge(amount):\n    return {'key_set': bool(STRIPE_KEY), "
                   "'amount': amount}\n")
    if fixed:
        (src / "billing.py").write_text(billing_env)
        (path / ".env.example").write_text(env_line)
        _git(path, "add", "-A")
        _git(path, "commit", "-q", "-m", "Billing service reading its key from the env")
        return path
    (src / "billing.py").write_text(
        f'STRIPE_KEY = "{demo_secret()}"\n\n\ndef charge(amount):\n'
        "    return {'key_set': bool(STRIPE_KEY), 'amount': amount}\n")
    (path / ".env").write_text("DEBUG=1\nSESSION_SECRET=${SESSION_SECRET}\n")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "Billing service (quick test with the live key)")
    (src / "billing.py").write_text(billing_env)
    _git(path, "add", "-A", date="2026-01-06T09:30:00+00:00")
    _git(path, "commit", "-q", "-m", "Read the Stripe key from the environment",
         date="2026-01-06T09:30:00+00:00")
    return path

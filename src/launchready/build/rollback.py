"""The way back after a bad deploy: the deploy platform (from its config files), the last
release tag, and which migrations are pending since that tag."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from launchready.probes.git import GitError, GitRepo, open_repo

#: (file that names the platform, platform, the exact command that puts the previous deploy back)
PLATFORMS: tuple[tuple[str, str, str], ...] = (
    ("vercel.json", "Vercel", "vercel rollback  # the previous production deployment"),
    (".vercel/project.json", "Vercel", "vercel rollback  # the previous production deployment"),
    ("netlify.toml", "Netlify",
     "netlify api restoreSiteDeploy --data '{\"site_id\": \"SITE_ID\", \"deploy_id\": "
     "\"PREVIOUS_DEPLOY_ID\"}'  # ids from `netlify api listSiteDeploys`"),
    ("fly.toml", "Fly.io",
     "fly releases --image -a APP && fly deploy -a APP --image PREVIOUS_IMAGE"),
    ("render.yaml", "Render",
     "curl -X POST -H \"Authorization: Bearer $RENDER_API_KEY\" "
     "https://api.render.com/v1/services/SERVICE_ID/rollback -d "
     "'{\"deployId\": \"PREVIOUS_DEPLOY_ID\"}'"),
    ("railway.json", "Railway",
     "railway redeploy  # after selecting the previous deployment: Deployments > ... > Redeploy"),
    ("railway.toml", "Railway",
     "railway redeploy  # after selecting the previous deployment: Deployments > ... > Redeploy"),
    ("Procfile", "Heroku", "heroku releases -a APP && heroku rollback -a APP"),
    ("app.json", "Heroku", "heroku releases -a APP && heroku rollback -a APP"),
    ("Dockerfile", "Docker image",
     "docker pull IMAGE:PREVIOUS_TAG && IMAGE_TAG=PREVIOUS_TAG docker compose up -d"),
)
GIT_REVERT = "git revert --no-edit BAD_COMMIT && git push  # when the host deploys from git"


@dataclass(frozen=True, kw_only=True)
class RollbackFacts:
    """What the repository records about going back."""

    platform: str | None
    platform_command: str | None
    last_tag: str | None
    #: None when the project is not in a git repository
    in_git: bool
    #: files as released in the last tag and unchanged since (None: no tag, so every
    #: migration is pending); paths relative to the project
    released: frozenset[str] | None

    def pending(self, rel: str) -> bool:
        """True when the migration at ``rel`` is not part of the last release."""
        return self.released is None or rel not in self.released


def detect_platform(project: Path) -> tuple[str, str] | None:
    """(platform, rollback command) from the deploy config files in ``project``."""
    for name, platform, command in PLATFORMS:
        if (project / name).is_file():
            return platform, command
    return None


def rollback_commands(project: Path, recorded: str | None) -> tuple[str, ...]:
    """The runbook's way back: the recorded ``[build] rollback`` command, then the one of the
    platform the repository's config files name."""
    found = detect_platform(project)
    return tuple(dict.fromkeys(c for c in (recorded, found[1] if found else None) if c))


def _names(raw: bytes, prefix: str) -> frozenset[str]:
    names = (os.fsdecode(p) for p in raw.split(b"\0") if p)
    return frozenset(n.removeprefix(prefix) for n in names if n.startswith(prefix))


def _release(repo: GitRepo, sub: str) -> tuple[str | None, frozenset[str] | None]:
    try:
        tag = repo.run(["describe", "--tags", "--abbrev=0", "HEAD"],
                       timeout=30).decode("utf-8", "replace").strip() or None
    except GitError:
        return None, None
    if tag is None:
        return None, None
    ref, spec = f"refs/tags/{tag}", sub or "."
    prefix = f"{sub}/" if sub else ""
    at_tag = repo.run(["ls-tree", "-r", "--name-only", "-z", ref, "--", spec], timeout=60)
    changed = repo.run(["diff", "--no-ext-diff", "--no-textconv", "--name-only", "-z", ref,
                        "HEAD", "--", spec], timeout=60)
    return tag, _names(at_tag, prefix) - _names(changed, prefix)


def gather_rollback(project: Path) -> RollbackFacts:
    """Platform, last release tag reachable from HEAD, and the migrations released in it."""
    found = detect_platform(project)
    platform, command = found if found else (None, None)
    with open_repo(project) as repo:
        if repo is None:
            return RollbackFacts(platform=platform, platform_command=command, last_tag=None,
                                 in_git=False, released=None)
        try:
            repo.run(["rev-parse", "--verify", "HEAD^{commit}"], timeout=30)
        except GitError:  # a repository without a commit yet
            return RollbackFacts(platform=platform, platform_command=command, last_tag=None,
                                 in_git=False, released=None)
        sub = project.resolve().relative_to(repo.top.resolve()).as_posix()
        tag, released = _release(repo, "" if sub == "." else sub)
    return RollbackFacts(platform=platform, platform_command=command, last_tag=tag, in_git=True,
                         released=released)

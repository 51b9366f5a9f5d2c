"""PERF005: which outbound calls count as having no timeout (Python and JS/TS)."""

from __future__ import annotations

import pytest

from launchready.checks.env.timeouts import evaluate_timeouts
from launchready.envcontract.facts import HttpCall, SourceScan
from launchready.envcontract.jsscan import scan_js
from launchready.envcontract.pyscan import scan_python
from launchready.envcontract.runtime import call_runtime
from launchready.envcontract.sourcetree import Language
from launchready.model import Severity

PY = [
    ("requests-no-timeout", "import requests\nrequests.get(u)\n", ["requests.get"]),
    ("requests-timeout", "import requests\nrequests.get(u, timeout=5)\n", []),
    ("requests-timeout-none", "import requests\nrequests.post(u, timeout=None)\n",
     ["requests.post"]),
    ("requests-from-import", "from requests import get\nget(u)\n", ["get"]),
    ("requests-kwargs", "import requests\nrequests.get(u, **opts)\n", []),
    ("requests-session", "import requests\ns = requests.Session()\ns.get(u)\n", ["s.get"]),
    ("requests-session-with", "import requests\nwith requests.Session() as s:\n"
                              "    s.post(u, timeout=3)\n", []),
    ("httpx-default-is-fine", "import httpx\nhttpx.get(u)\nhttpx.Client()\n", []),
    ("httpx-none", "import httpx\nhttpx.get(u, timeout=None)\n", ["httpx.get"]),
    ("httpx-client-none", "import httpx\nc = httpx.Client(timeout=None)\n", ["httpx.Client"]),
    ("httpx-client-call-none", "import httpx\nc = httpx.Client()\nc.get(u, timeout=None)\n",
     ["c.get"]),
    ("aiohttp-session", "import aiohttp\nasync def f():\n"
                        "    async with aiohttp.ClientSession() as s:\n        pass\n",
     ["aiohttp.ClientSession"]),
    ("aiohttp-session-timeout", "import aiohttp\naiohttp.ClientSession(timeout=t)\n", []),
    ("urlopen", "import urllib.request\nurllib.request.urlopen(u)\n", ["urllib.request.urlopen"]),
    ("urlopen-from", "from urllib.request import urlopen\nurlopen(u, timeout=3)\n", []),
    ("urlopen-positional", "from urllib import request\nrequest.urlopen(u, None, 3)\n", []),
    ("unrelated-get", "d = {}\nd.get(u)\n", []),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in PY], ids=[c[0] for c in PY])
def test_python_calls(source: str, expected: list[str]) -> None:
    assert [c.callee for c in scan_python(source, "m.py").calls] == expected


JS = [
    ("fetch-bare", "await fetch(url);", ["fetch"]),
    ("fetch-no-signal", 'await fetch(url, { method: "POST" });', ["fetch"]),
    ("fetch-signal", "await fetch(url, { signal: AbortSignal.timeout(5000) });", []),
    ("fetch-shorthand-signal", "await fetch(url, { signal });", []),
    ("fetch-options-variable", "await fetch(url, init);", []),
    ("fetch-spread", "await fetch(url, { ...init });", []),
    ("global-fetch", "await globalThis.fetch(url);", ["globalThis.fetch"]),
    ("axios-get", 'import axios from "axios";\naxios.get(u);', ["axios.get"]),
    ("axios-post-timeout", 'import axios from "axios";\naxios.post(u, b, { timeout: 1 });', []),
    ("axios-post-config-is-third", 'import axios from "axios";\naxios.post(u, { timeout: 1 });',
     ["axios.post"]),
    ("axios-call", 'const axios = require("axios");\naxios({ url: u });', ["axios"]),
    ("axios-create", 'import axios from "axios";\nconst api = axios.create({ baseURL: u });\n'
                     "api.get(u);", ["axios.create"]),
    ("axios-create-timeout", 'import axios from "axios";\n'
                             "const api = axios.create({ timeout: 5000 });\napi.get(u);", []),
    ("axios-instance-default", 'import axios from "axios";\nconst api = axios.create({});\n'
                               "api.defaults.timeout = 5000;", []),
    ("axios-global-default", 'import axios from "axios";\naxios.defaults.timeout = 5000;\n'
                             "axios.get(u);", []),
    ("not-axios", "client.get(u);", []),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in JS], ids=[c[0] for c in JS])
def test_js_calls(source: str, expected: list[str]) -> None:
    scan = scan_js(source, "a.ts", Language.TYPESCRIPT)
    calls = scan.calls if scan.sets_axios_default_timeout else scan.calls + scan.axios_calls
    assert [c.callee for c in calls] == expected


def _call(library: str, problem: str = "no-timeout", line: int = 3) -> HttpCall:
    return HttpCall(path="app/x.py", line=line, column=5, library=library,
                    callee=f"{library}.get", scope="f", problem=problem)


@pytest.mark.parametrize(("call", "fix_part"), [
    (_call("requests"), "timeout=(3.05, 10)"),
    (_call("httpx", "timeout-none"), "httpx.Timeout(10.0"),
    (_call("aiohttp"), "aiohttp.ClientTimeout(total=10)"),
    (_call("urllib"), "urlopen(url, timeout=10)"),
    (_call("fetch"), "AbortSignal.timeout(10_000)"),
    (_call("axios"), "axios.create({ timeout: 10_000 })"),
], ids=["requests", "httpx", "aiohttp", "urllib", "fetch", "axios"])
def test_fix_shown_for_the_library(call: HttpCall, fix_part: str) -> None:
    finding = evaluate_timeouts(SourceScan(roots=(".",), files_scanned=1, reads=(),
                                           calls=(call,), skipped=())).findings[0]
    assert fix_part in finding.fix
    assert finding.location is not None and finding.location.line == 3


def test_fingerprint_ignores_line_numbers() -> None:
    def fp(line: int) -> str:
        scan = SourceScan(roots=(".",), files_scanned=1, reads=(), skipped=(),
                          calls=(_call("requests", line=line),))
        return evaluate_timeouts(scan).findings[0].fingerprint
    assert fp(3) == fp(40)


RUNTIME = [
    ("use-client", "components/x.tsx", '"use client";\nfetch("/api/a")\n', "f", "browser"),
    ("component-dir", "src/components/Table.tsx", "fetch('/api/a')\n", "load", "browser"),
    ("pages-page", "pages/settings.tsx", "fetch('/api/a')\n", "save", "browser"),
    ("pages-ssr", "pages/settings.tsx", "fetch(u)\n", "getServerSideProps", "server"),
    ("pages-api", "pages/api/hook.ts", "fetch(u)\n", "handler", "server"),
    ("app-route", "app/api/x/route.ts", "fetch(u)\n", "GET", "server"),
    ("server-component", "app/dashboard/page.tsx", "fetch(u)\n", "Page", "server"),
    ("middleware", "middleware.ts", "fetch(u)\n", "middleware", "server"),
    ("auth-callback", "lib/auth.ts", "fetch(u)\n", "jwt", "server"),
    ("use-server", "components/act.ts", "'use server'\nfetch(u)\n", "save", "server"),
    ("vite-src", "src/api.ts", "fetch(u)\n", "get", "browser"),
    ("hooks-elsewhere", "lib/useThing.ts", "useEffect(() => { fetch(u) })\n", "f", "browser"),
    ("plain-lib", "lib/stripe.ts", "fetch(u)\n", "charge", "server"),
]


@pytest.mark.parametrize(("path", "text", "scope", "expected"), [c[1:] for c in RUNTIME],
                         ids=[c[0] for c in RUNTIME])
def test_call_runtime(path: str, text: str, scope: str, expected: str) -> None:
    vite = path == "src/api.ts"
    assert call_runtime(path, text, scope, vite_app=vite) == expected


def test_browser_calls_are_low_with_browser_wording() -> None:
    calls = tuple(HttpCall(path=p, line=1, column=1, library="fetch", callee="fetch",
                           scope="f", problem="no-timeout", runtime=r)
                  for p, r in (("components/a.tsx", "browser"), ("app/api/r/route.ts", "server")))
    scan = SourceScan(roots=(".",), files_scanned=2, reads=(), calls=calls, skipped=())
    browser, server = evaluate_timeouts(scan).findings
    assert browser.severity is Severity.LOW and "worker" not in browser.impact.replace(
        "no server worker", "")
    assert "browser" in browser.evidence
    assert server.severity is Severity.MEDIUM and "server worker" in server.impact


@pytest.mark.parametrize(("source", "runtime"), [
    ("fetch('/api/a')", "browser"),
    ("fetch(`/api/${id}`)", "browser"),
    ("fetch(url, { method: 'POST', credentials: 'same-origin' })", "browser"),
    ("fetch('https://api.stripe.com/v1')", "server"),
    ("fetch('//cdn.example/x')", "server"),
], ids=["relative", "relative-template", "credentials", "absolute", "protocol-relative"])
def test_browser_only_fetch_shapes(source: str, runtime: str) -> None:
    calls = scan_js(source, "lib/x.ts", Language.TYPESCRIPT).calls
    assert [c.runtime for c in calls] == [runtime]

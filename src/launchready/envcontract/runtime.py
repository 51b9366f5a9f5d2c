"""Where a JavaScript/TypeScript call site runs: on the server or in a visitor's browser.

Decided per call, from the call itself, the file and the enclosing function. A ``fetch`` with a
relative URL (``fetch("/api/x")``; server runtimes need an absolute one) or ``credentials`` in
its options runs in the browser (decided by the scanner). Otherwise, in this order:

1. A ``"use server"`` directive, or an enclosing ``getServerSideProps``/``getStaticProps``/
   ``loader``/``action``/route handler (``GET``, ``POST`` …): server.
2. A ``"use client"`` directive: browser.
3. Server paths: ``pages/api/``, ``app/**/route.*``, ``middleware.*``, ``*.server.*``,
   ``server/``, ``api/``, ``actions/``, ``functions/``, auth callbacks (``auth.*``,
   ``[...nextauth]``), config files (``*.config.*``): server.
4. Next.js ``app/`` files without ``"use client"`` are server components: server.
5. Browser paths: ``components/``, ``hooks/``, ``pages/`` (outside ``pages/api``),
   ``*.client.*``, a Vite app's ``src/``; or a file that calls React hooks: browser.
6. Anything else: server (its finding keeps the stricter wording).
"""

from __future__ import annotations

import re

SERVER = "server"
BROWSER = "browser"

_SERVER_SCOPES = frozenset({
    "getServerSideProps", "getStaticProps", "getStaticPaths", "loader", "action",
    "generateMetadata", "generateStaticParams", "GET", "POST", "PUT", "PATCH", "DELETE",
    "HEAD", "OPTIONS", "middleware", "handler",
})
_DIRECTIVE = re.compile(r"""^\s*(?://[^\n]*\n\s*|/\*.*?\*/\s*)*["']use (client|server)["']""",
                        re.DOTALL)
_SERVER_PATH = re.compile(
    r"(?:^|/)(?:pages/api/|app/(?:.*/)?route\.[cm]?[jt]sx?$|middleware\.[cm]?[jt]s$|"
    r"[^/]+\.server\.[cm]?[jt]sx?$|server/|api/|actions/|functions/|netlify/|"
    r"(?:.*/)?auth\.[cm]?[jt]s$|.*\[\.\.\.nextauth\]|[^/]+\.config\.[cm]?[jt]s$|"
    r"backend/|worker/|workers/|jobs/|scripts/|prisma/)")
_BROWSER_PATH = re.compile(r"(?:^|/)(?:components/|hooks/|pages/|[^/]+\.client\.[cm]?[jt]sx?$|"
                           r"frontend/|client/|public/)")
_HOOKS = re.compile(r"\buse(?:State|Effect|Reducer|Callback|Memo|Ref|SWR|Query|Mutation)\s*[(<]")


def directive(text: str) -> str | None:
    """``client`` or ``server`` for a file starting with that directive, else None."""
    match = _DIRECTIVE.match(text)
    return match.group(1) if match else None


def call_runtime(path: str, text: str, scope: str, *, vite_app: bool = False) -> str:
    """:data:`SERVER` or :data:`BROWSER` for a call in ``path`` inside function ``scope``."""
    said = directive(text)
    if said == "server" or scope in _SERVER_SCOPES:
        return SERVER
    if said == "client":
        return BROWSER
    if _SERVER_PATH.search(path):
        return SERVER
    if re.search(r"(?:^|/)app/", path) and not re.search(r"(?:^|/)src/app/.*\.vue$", path) \
            and not vite_app:
        return SERVER  # a Next.js server component unless it says "use client"
    if _BROWSER_PATH.search(path) or (vite_app and re.search(r"(?:^|/)src/", path)):
        return BROWSER
    if _HOOKS.search(text):
        return BROWSER
    return SERVER

"""Evidence and fix texts of the web-surface findings: server values cleaned and cut, one fix
snippet per platform."""

from __future__ import annotations

#: evidence values are cut here; they come from servers we do not control
EVIDENCE_CHARS = 160


def shown(value: str, limit: int = EVIDENCE_CHARS) -> str:
    """A server-supplied value fit for evidence: one line, control characters dropped, cut.

    It stays plain text (``<script>`` is kept as written): escaping is the renderers' job.
    """
    flat = "".join(ch if ch.isprintable() else " " for ch in value.replace("\n", " "))
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def fixes(*, nginx: str | None = None, caddy: str | None = None, cloudflare: str | None = None,
          vercel: str | None = None, netlify: str | None = None, python: str | None = None,
          lead: str = "") -> str:
    """One fix text with a short snippet per platform, in a fixed order."""
    parts = [lead] if lead else []
    for label, snippet in (("nginx", nginx), ("Caddy", caddy), ("Cloudflare", cloudflare),
                           ("Vercel (vercel.json)", vercel), ("Netlify (_headers)", netlify),
                           ("Python app", python)):
        if snippet:
            parts.append(f"{label}: {snippet}")
    return " ".join(p if p.endswith(".") else p + "." for p in parts)

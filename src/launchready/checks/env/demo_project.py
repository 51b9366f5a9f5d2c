"""The demo's project tree for the ENV rules and PERF005: flawed, or fixed.

``write_demo_project(path, fixed=False)`` writes a small "Acme Dashboard" source tree with
``.env.production``, ``.env.preview``, ``.env.example``, a Python billing module and a Next.js
checkout helper. The flawed tree has a Stripe secret key under ``NEXT_PUBLIC_`` (ENV002), a
``sk_test_`` key in production (ENV004), a preview environment sharing the production database
(ENV003) and a ``requests.get`` without a timeout (PERF005); the fixed tree has none of these.

Every key-shaped value is assembled here at run time from a fixed seed, so no file of this
repository contains anything that looks like a real credential, and the values are obviously
fake (they spell ``launchreadyDEMO``).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path


def _fake(label: str, length: int) -> str:
    """A deterministic, obviously fake key body: "launchreadyDEMO" plus a seeded hash."""
    digest = hashlib.sha256(f"launchready demo {label}".encode()).hexdigest()
    return ("launchreadyDEMO" + digest)[:length]


def _stripe(kind: str, label: str) -> str:
    """``sk-live`` -> ``sk_live_`` + a fake body (the prefix is joined here, never stored)."""
    return kind.replace("-", "_") + "_" + _fake(label, 32)


def _session_secret(label: str) -> str:
    return base64.b64encode(hashlib.sha256(f"launchready demo {label}".encode()).digest()
                            ).decode()


def _db(password_label: str, host: str) -> str:
    return f"postgresql://acme:{_fake(password_label, 20)}@{host}:5432/acme"


_BILLING = '''"""Billing: invoices from Stripe for the dashboard's revenue report."""

import os

import requests

STRIPE_API = "https://api.stripe.com/v1"


def list_invoices(customer_id: str) -> list[dict]:
    key = os.environ["STRIPE_SECRET_KEY"]
    response = requests.get(
        f"{{STRIPE_API}}/invoices",
        params={{"customer": customer_id}},
        auth=(key, ""),{timeout}
    )
    response.raise_for_status()
    return response.json()["data"]
'''

_CHECKOUT = '''// Checkout button: loads Stripe.js with the key the browser may see.
import {{ loadStripe }} from "@stripe/stripe-js";

const siteUrl = process.env.NEXT_PUBLIC_SITE_URL;

export async function startCheckout(priceId: string) {{
  const stripe = await loadStripe(process.env.{public_key}!);
  return stripe?.redirectToCheckout({{
    lineItems: [{{ price: priceId, quantity: 1 }}],
    mode: "subscription",
    successUrl: `${{siteUrl}}/billing/done`,
    cancelUrl: `${{siteUrl}}/billing`,
  }});
}}
'''


def write_demo_project(path: Path, *, fixed: bool) -> None:
    """Write the demo project tree into ``path`` (created if needed)."""
    path.mkdir(parents=True, exist_ok=True)
    public_key = ("NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY" if fixed
                  else "NEXT_PUBLIC_STRIPE_SECRET_KEY")
    prod_db = _db("prod-db", "db.acme-prod.internal")
    production = {
        "DATABASE_URL": prod_db,
        "SESSION_SECRET": _session_secret("prod-session"),
        "STRIPE_SECRET_KEY": _stripe("sk-live" if fixed else "sk-test", "prod-stripe"),
        "NEXT_PUBLIC_SITE_URL": "https://app.acme.example",
        public_key: (_stripe("pk-live", "prod-publishable") if fixed
                     else _stripe("sk-live", "prod-stripe-leaked")),
    }
    preview = {
        "DATABASE_URL": _db("preview-db", "db.acme-preview.internal") if fixed else prod_db,
        "SESSION_SECRET": _session_secret("preview-session"),
        "STRIPE_SECRET_KEY": _stripe("sk-test", "preview-stripe"),
        "NEXT_PUBLIC_SITE_URL": "https://preview.acme.example",
        "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY": _stripe("pk-test", "preview-publishable"),
    }

    def dotenv(header: str, values: dict[str, str]) -> str:
        return header + "".join(f'{k}="{val}"\n' for k, val in values.items())

    (path / ".env.production").write_text(dotenv(
        "# Created by Vercel CLI (vercel env pull --environment=production)\n", production),
        encoding="utf-8")
    (path / ".env.preview").write_text(dotenv(
        "# Created by Vercel CLI (vercel env pull --environment=preview)\n", preview),
        encoding="utf-8")
    (path / ".env.example").write_text(
        "# Copy to .env.local for development; set real values on the platform.\n"
        "DATABASE_URL=\nSESSION_SECRET=\nSTRIPE_SECRET_KEY=\nNEXT_PUBLIC_SITE_URL=\n"
        f"{public_key}=\n", encoding="utf-8")
    (path / "app").mkdir(exist_ok=True)
    (path / "app" / "__init__.py").write_text("", encoding="utf-8")
    timeout = "\n        timeout=10," if fixed else ""
    (path / "app" / "billing.py").write_text(_BILLING.format(timeout=timeout),
                                             encoding="utf-8")
    (path / "web" / "lib").mkdir(parents=True, exist_ok=True)
    (path / "web" / "lib" / "checkout.ts").write_text(
        _CHECKOUT.format(public_key=public_key), encoding="utf-8")

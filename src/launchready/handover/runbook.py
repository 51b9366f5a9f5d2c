"""The "what to do if X breaks" runbook, written with this app's own names and URLs.

Each entry lists the first things to look at and the commands to run, in order. Commands use
the configured domain, canonical URL, smoke flow and DKIM selectors so they can be pasted as
they are; the rollback entry names the command of the hosting provider the provider map found.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from urllib.parse import urlsplit

from launchready.build.rollback import GIT_REVERT
from launchready.config.models import Config
from launchready.handover.model import RunbookEntry

#: how to put the previous deploy back, per hosting provider (as the provider map names them)
ROLLBACK: tuple[tuple[str, str], ...] = (
    ("Vercel", "vercel rollback  # or Deployments > previous deploy > Promote to Production"),
    ("Netlify", "netlify deploy --prod --dir=PREVIOUS_BUILD  # or Deploys > previous deploy > "
                "Publish deploy"),
    ("Fly.io", "fly releases -a APP && fly deploy -a APP --image PREVIOUS_IMAGE"),
    ("Heroku", "heroku releases -a APP && heroku rollback -a APP"),
    ("Render", "Render dashboard > service > Events > previous deploy > Rollback"),
    ("Cloudflare Pages", "Cloudflare dashboard > Pages > project > Deployments > previous "
                         "deploy > Rollback"),
    ("AWS Amplify", "Amplify console > app > branch > previous build > Redeploy this version"),
    ("Google Cloud Run", "gcloud run services update-traffic SERVICE "
                         "--to-revisions=PREVIOUS_REVISION=100"),
)


def _q(value: str) -> str:
    return shlex.quote(value)


def runbook(config: Config, hosting: Sequence[str] = (), deploy: Sequence[str] = ()
            ) -> tuple[RunbookEntry, ...]:
    """Six runbook entries for the failures a demo cannot survive; ``deploy`` holds the
    recorded ``[build] rollback`` command and the one of the platform the repository deploys
    to (from its config files), which come first in the rollback entry."""
    domain = config.app.domain or "DOMAIN"
    canonical = (config.app.canonical or f"https://{domain}").rstrip("/")
    parts = urlsplit(canonical)
    host = parts.hostname or domain
    port = parts.port or 443
    base = (config.smoke.base_url or canonical).rstrip("/") if config.smoke else canonical
    login = None
    if config.smoke is not None and config.smoke.steps:
        index = config.smoke.login_index()
        if index is not None:
            step = config.smoke.steps[index]
            login = f"{step.method} {base}{step.path}"
    health = next((c.url for c in (config.monitor.checks if config.monitor else ())
                   if c.url and "health" in c.url), None)
    selectors = list(config.email.dkim_selectors) if config.email else []
    resolver = ""
    if config.network.resolver:
        addr, _, dns_port = config.network.resolver.rpartition(":")
        resolver = (f" @{addr} -p {dns_port}" if addr and dns_port.isdigit()
                    else f" @{config.network.resolver}")
    dig = f"dig{resolver} +short"
    rollback = list(dict.fromkeys([
        *deploy, *(cmd for name, cmd in ROLLBACK if any(name in h for h in hosting)),
        GIT_REVERT]))
    entries = [
        RunbookEntry(
            title="Login is broken",
            first_checks=(
                "Run the smoke flow: which step fails, and with what status?",
                "Was there a deploy or an env change in the last hour? (secrets, SESSION_SECRET,"
                " OAuth redirect URLs)",
                "Is the database up? (the health endpoint checks it)",
                "Do cookies still carry Secure and the right Domain for the canonical host?",
            ),
            commands=(
                "launchready smoke -v",
                *([f"curl -sS -o /dev/null -w '%{{http_code}} %{{time_total}}s\\n' -X "
                   f"{login.split()[0]} {_q(login.split()[1])}"] if login else []),
                *([f"curl -sS {_q(health)}"] if health else []),
                "launchready env --environment production",
                "launchready web --only WEB005,TLS",
            )),
        RunbookEntry(
            title="Emails go to spam",
            first_checks=(
                "Open a delivered message's headers: do spf=, dkim= and dmarc= say pass?",
                "Did someone add a sending service without adding it to SPF (or DKIM)?",
                "Is DMARC published, and does its policy match what the senders do?",
            ),
            commands=(
                f"launchready email {_q(domain)}",
                f"{dig} TXT {_q(domain)}",
                f"{dig} TXT _dmarc.{_q(domain)}",
                *(f"{dig} TXT {_q(s)}._domainkey.{_q(domain)}" for s in selectors),
                "launchready email verify received-message.eml",
            )),
        RunbookEntry(
            title="The site is down",
            first_checks=(
                "Is it down for everyone? Check the status page and the monitor's last results.",
                "Does the name still resolve to the production host (DNS, expired domain)?",
                "Is the certificate valid, and is the hosting provider reporting an incident?",
            ),
            commands=(
                f"curl -sSI {_q(canonical)}/",
                f"{dig} A {_q(host)}",
                f"{dig} NS {_q(domain)}",
                f"launchready web {_q(canonical)}",
                "launchready dns",
                "launchready monitor once",
            )),
        RunbookEntry(
            title="A key leaked",
            first_checks=(
                "Which key, and where was it seen (repo, history, bundle, logs)?",
                "Rotate first, at the provider (see \"Secrets to rotate\"), then redeploy with the"
                " new value; purging history does not revoke a key.",
                "Check the provider's logs for use of the old key since it leaked.",
            ),
            commands=(
                "launchready secrets --history",
                "launchready logs",
                "launchready env --environment production",
                "git filter-repo --replace-text replacements.txt  # after rotating",
            )),
        RunbookEntry(
            title="A deploy broke auth — roll back",
            first_checks=(
                "Confirm with the smoke flow that login worked before the deploy and fails now.",
                "Roll back first, debug after: put the previous deploy back, then re-run the "
                "smoke flow.",
                "Did the deploy change env vars, cookie settings or the auth callback URL?",
            ),
            commands=(
                "launchready smoke -v",
                *rollback,
                "launchready smoke",
            )),
        RunbookEntry(
            title="The certificate is about to expire",
            first_checks=(
                "See the expiry calendar below: which hostname, and how many days are left?",
                "Is auto-renewal set up (ACME / the hosting provider), and did the last "
                "renewal fail?",
                "Does a CAA record allow the CA that renews it?",
            ),
            commands=(
                f"launchready web {_q(canonical)} --only TLS002,TLS003,TLS004",
                f"openssl s_client -connect {_q(host)}:{port} -servername {_q(host)} "
                "</dev/null 2>/dev/null | openssl x509 -noout -enddate -issuer",
                f"{dig} CAA {_q(domain)}",
                "sudo certbot renew --dry-run  # when the server renews with certbot",
            )),
    ]
    return tuple(entries)

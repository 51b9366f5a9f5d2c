"""Write the commented ``launchready.toml`` from what :mod:`.detect` and :mod:`.live` found.

A pure function of the facts: every section says where its values came from, values read
from the live site carry a "found live — confirm" comment, and every credential is a
``${VAR}`` reference (the smoke login, alert routes and the database URL are written as
commented templates, so the file loads before those variables exist). Strings are written as
TOML basic strings through ``json.dumps``, whose escapes TOML accepts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from launchready.init.detect import ProjectFacts
from launchready.init.live import LiveSite

LIVE = "found live — confirm"


def _s(value: str) -> str:
    return json.dumps(value)


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_s(v) for v in values) + "]"


@dataclass(frozen=True, kw_only=True)
class InitOptions:
    """Command-line inputs that end up in the file."""

    url: str | None = None
    domain: str | None = None
    resolver: str | None = None
    resolve: tuple[str, ...] = ()
    ca_bundle: str | None = None
    timeout: float | None = None
    notes: tuple[str, ...] = field(default=())


def _header(project: ProjectFacts, live: LiveSite | None) -> list[str]:
    framework = project.framework.name if project.framework else "no framework recognised"
    lines = [
        "# launchready.toml — written by `launchready init`; edit freely, then run",
        "# `launchready audit`. Reference: `launchready checks` and README.md.",
        "#",
        f"# Project: {project.name} — {framework} ({project.framework_evidence})",
    ]
    if project.git_remote:
        lines.append(f"# Repository: {project.git_remote}")
    for package in project.packages:
        lines.append(f"#   {package.folder}/: {package.framework.name} ({package.evidence})")
    if project.env_files:
        lines.append(f"# Env files found: {', '.join(project.env_files)}")
    if live is not None:
        lines.append(f"# Live site probed: {live.url}")
        lines += [f"#   {b}" for b in live.behaviour]
        if live.dns_problem:
            lines.append(f"# DNS could not be checked: {live.dns_problem}")
        lines += [f"#   no answer: {u}" for u in live.unanswered]
    lines += [
        "#",
        "# Credentials are never written here: every password, token, webhook or database URL",
        '# is a ${VAR} reference (e.g. password = "${SMOKE_PASSWORD}") filled from the',
        "# environment when launchready runs.",
        "",
    ]
    return lines


def _app(project: ProjectFacts, live: LiveSite | None, options: InitOptions) -> list[str]:
    lines = ["[app]", f"name = {_s(project.name)}"]
    domain = options.domain or (live.apex if live else None)
    if domain:
        note = "  # apex" + (f" ({LIVE})" if live and not options.domain else "")
        lines.append(f"domain = {_s(domain)}{note}")
    else:
        lines.append('# domain = "example.com"                  # the apex; set it for DNS/email')
    canonical = live.canonical if live else None
    if canonical and canonical.startswith("https://"):
        lines.append(f"canonical = {_s(canonical)}  # where {live.url if live else 'it'} "
                     f"ends up ({LIVE})")
    elif options.url and options.url.startswith("https://"):
        lines.append(f"canonical = {_s(options.url.rstrip('/'))}  # as given to init")
    else:
        lines.append('# canonical = "https://app.example.com"  # the one URL users land on')
    lines += ['environment = "production"', ""]
    return lines


def _network(options: InitOptions) -> list[str]:
    lines = ["[network]"]
    lines.append(f"resolver = {_s(options.resolver)}  # as given to init"
                 if options.resolver else '# resolver = "1.1.1.1"')
    lines.append(f"resolve = {_list(options.resolve)}  # as given to init" if options.resolve
                 else '# resolve = ["app.example.com:443:203.0.113.10"]  # check before cutover')
    lines.append(f"ca_bundle = {_s(options.ca_bundle)}  # as given to init"
                 if options.ca_bundle else '# ca_bundle = "certs/ca.pem"')
    lines += [f"timeout = {options.timeout:g}" if options.timeout else "timeout = 10", ""]
    return lines


def _dns(live: LiveSite | None) -> list[str]:
    if live is None or live.dns_problem:
        return [
            "# [dns]                                  # the expected record map; run",
            "# provider = \"cloudflare\"                # `launchready init --url URL` to fill it",
            "# [[dns.records]]",
            '# name = "@"',
            '# type = "A"',
            '# values = ["203.0.113.10"]',
            "",
        ]
    lines = ["[dns]"]
    if live.provider:
        lines.append(f"provider = {_s(live.provider)}  # {LIVE}: {live.provider_evidence}")
    else:
        lines.append(f'# provider = "cloudflare"  # not recognised: {live.provider_evidence}')
    lines.append("")
    for record in live.records:
        lines += [f"[[dns.records]]  # {LIVE}", f"name = {_s(record.name)}",
                  f"type = {_s(record.rdtype)}", f"values = {_list(record.values)}", ""]
    return lines


def _email(live: LiveSite | None, domain: str | None) -> list[str]:
    if not domain:
        return ["# [email]", '# domains = ["example.com"]', "# senders = "
                '["include:_spf.google.com"]', '# dkim_selectors = ["google"]', ""]
    senders = list(live.senders) if live else []
    policy = live.dmarc_policy if live and live.dmarc_policy in ("quarantine", "reject") else None
    lines = ["[email]", f"domains = {_list([domain])}"]
    if live and live.spf:
        lines.append(f"senders = {_list(senders)}  # {LIVE}: from SPF {live.spf[:120]}")
    elif live and not live.looked_up(domain, "TXT"):
        lines.append("senders = []  # SPF could not be looked up: fill in your approved sources")
    else:
        lines.append("senders = []  # approved SPF sources, e.g. \"include:_spf.google.com\"")
    lines.append("dkim_selectors = []  # your selectors, e.g. \"google\" or \"s1\"")
    lines.append(f"dmarc_min_policy = {_s(policy or 'quarantine')}"
                 + (f"  # {LIVE}: {live.dmarc[:120]}" if live and live.dmarc else
                    "  # DMARC could not be looked up" if live and not live.looked_up(
                        f"_dmarc.{domain}", "TXT") else
                    "  # no DMARC record found" if live else ""))
    lines.append("")
    return lines


def _env(project: ProjectFacts) -> list[str]:
    lines = ["[env]"]
    if project.templates:
        lines.append(f"# Templates read as declarations: {', '.join(project.templates)}")
        lines.append("# (a template key is never required by itself; unused ones are ENV010)")
    if project.production_env:
        lines.append(f"environment_file = {_s(project.production_env)}  # the environment "
                     f"judged as production")
    else:
        lines += [
            "# The production environment must be named; none was found. Pull it from the",
            "# platform and point environment_file at it, e.g.",
            "#   vercel env pull --environment=production .env.production",
            "#   heroku config --shell -a APP > .env.production",
            "#   railway variables --kv > .env.production",
            "# or run `launchready env --from-shell` where the platform injects it.",
            '# environment_file = ".env.production"',
        ]
    if project.code_required:
        shown = ", ".join(project.code_required[:12]) + (
            f" and {len(project.code_required) - 12} more"
            if len(project.code_required) > 12 else "")
        lines.append(f"# The code requires these by itself (read without a fallback): {shown}")
    lines.append("required = []  # add what the code needs but does not say (e.g. read by a "
                 "tool)")
    if project.preview_env:
        lines.append(f"preview_file = {_s(project.preview_env)}")
    else:
        lines.append('# preview_file = ".env.preview"')
    lines += ['source_paths = ["."]',
              f"public_prefixes = {_list(project.public_prefixes)}", ""]
    return lines


def _secrets(project: ProjectFacts) -> list[str]:
    existing = [d for d in project.build_dirs if (project.root / d).is_dir()]
    missing = [d for d in project.build_dirs if d not in existing]
    lines = ["[secrets]", 'paths = ["."]', f"history = {'true' if project.has_git else 'false'}"
             + ("" if project.has_git else "  # no .git here")]
    lines.append(f"bundles = {_list(existing)}" + (
        f"  # after a build, add {_list(missing)}" if missing else ""))
    lines += ['logs = []  # e.g. "logs/*.log"', ""]
    return lines


def _templates(canonical: str | None) -> list[str]:
    base = canonical or "https://app.example.com"
    return [
        "# The smoke flow (login → dashboard → core action → logout). Uncomment and adjust the",
        "# paths; the login credentials come from the environment.",
        "# [smoke]",
        f"# base_url = {_s(base)}",
        "# [[smoke.steps]]",
        '# name = "login"',
        '# method = "POST"',
        '# path = "/api/login"',
        '# json = { email = "${SMOKE_EMAIL}", password = "${SMOKE_PASSWORD}" }',
        '# expect = ["status == 200"]',
        "# [[smoke.steps]]",
        '# name = "dashboard"',
        '# path = "/api/dashboard"',
        '# expect = ["status == 200", "time < 1500ms"]',
        "",
        "# [monitor]",
        '# interval = "30s"',
        "# failure_threshold = 2",
        "# checks = [",
        f'#   {{ name = "homepage", url = {_s(base + "/")}, expect = ["status == 200"] }},',
        '#   { name = "auth flow", flow = "smoke" },',
        "# ]",
        '# alerts = [{ url = "${SLACK_ALERT_URL}" }]',
        "# evidence that the monitor's own network is gone (else every failure counts as DOWN)",
        '# canaries = ["1.1.1.1:53", "8.8.8.8:53", "9.9.9.9:53"]',
        "",
        "# [handover]  # who owns what — names and places, never credentials",
        '# owners = { dns = "Sam", hosting = "Sam", email = "Alex" }',
        '# admins = ["sam@example.com"]',
        "# credentials_stored_in = \"1Password vault 'Ops'\"",
        "",
        "# [database]  # read-only checks",
        '# url = "${DATABASE_URL}"',
        "",
    ]


def render_config(project: ProjectFacts, live: LiveSite | None = None,
                  options: InitOptions | None = None) -> str:
    """The commented ``launchready.toml`` text."""
    opts = options or InitOptions()
    domain = opts.domain or (live.apex if live else None)
    canonical = live.canonical if live and live.canonical else opts.url
    lines = [
        *_header(project, live),
        *_app(project, live, opts),
        *_network(opts),
        *_dns(live),
        *_email(live, domain),
        *_env(project),
        *_secrets(project),
        *_templates(canonical.rstrip("/") if canonical else None),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"

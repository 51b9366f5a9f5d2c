"""SEC008 — a literal credential in launchready.toml.

What: any credential field of the config (passwords, tokens, secrets, API keys, webhook URLs,
database URLs with a password, URLs carrying ``user:pass@`` or ``?token=``) written as a literal
value instead of ``${VAR}``.

Why: the config file is meant to live in git; a literal credential there is a leaked credential.

Fix: move the value to an environment variable (or your platform's secret store) and write
``password = "${SMOKE_PASSWORD}"``. Then rotate the value that was committed.

Pass: ``url = "${SLACK_ALERT_URL}"``. Fail: ``password = "hunter2"``.
The value itself is never shown, only the key path.
"""

from __future__ import annotations

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta


class ConfigLiteralCredentials(CheckFamily[tuple[str, ...]]):
    """Reports key paths whose credential value was written literally."""

    rule_ids = ("SEC008",)
    network = False

    def skip_reason(self, ctx: Context) -> str | None:
        return None if ctx.config.source else "no config file was loaded"

    async def gather(self, ctx: Context) -> tuple[str, ...]:
        return ctx.config.literal_credentials

    def evaluate(self, obs: tuple[str, ...], ctx: Context) -> Outcome:
        source = ctx.config.source or "launchready.toml"
        rule = meta("SEC008")
        return Outcome(findings=tuple(
            make_finding(
                rule, target=f"{source} {path}", identity=path,
                evidence=f"{path} holds a literal value (not shown)",
                impact="Anyone who can read the repository can use this credential.",
                fix=f'Set it from the environment: {path.rsplit(".", 1)[-1]} = "${{VAR_NAME}}", '
                    "export VAR_NAME in your shell or CI secrets, then rotate the old value.")
            for path in obs))

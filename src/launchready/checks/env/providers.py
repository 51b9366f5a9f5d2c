"""Which provider a variable belongs to, told from its name, and where to get a new value.

The rotation steps come from the secret rules' provider table
(:data:`launchready.secrets.rules.RULES`), so a finding about ``STRIPE_SECRET_KEY`` and a leaked
``sk_live_`` key in a file give the same steps. Providers the secret rules do not cover get a
short dashboard hint here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from launchready.secrets.rules import RULES


@dataclass(frozen=True, kw_only=True)
class Provider:
    """A third-party service whose credentials live in environment variables."""

    id: str  # the secret rules' provider id where there is one
    name: str
    prefixes: tuple[str, ...]
    #: where a new or live credential comes from, when the secret rules have no rotation text
    dashboard: str = ""


PROVIDERS: tuple[Provider, ...] = (
    Provider(id="stripe", name="Stripe", prefixes=("STRIPE_",)),
    Provider(id="aws", name="AWS", prefixes=("AWS_", "S3_")),
    Provider(id="github", name="GitHub", prefixes=("GITHUB_", "GH_")),
    Provider(id="gitlab", name="GitLab", prefixes=("GITLAB_",)),
    Provider(id="slack", name="Slack", prefixes=("SLACK_",)),
    Provider(id="twilio", name="Twilio", prefixes=("TWILIO_",)),
    Provider(id="sendgrid", name="SendGrid", prefixes=("SENDGRID_",)),
    Provider(id="mailgun", name="Mailgun", prefixes=("MAILGUN_",)),
    Provider(id="postmark", name="Postmark", prefixes=("POSTMARK_",)),
    Provider(id="openai", name="OpenAI", prefixes=("OPENAI_",)),
    Provider(id="anthropic", name="Anthropic", prefixes=("ANTHROPIC_",)),
    Provider(id="google", name="Google", prefixes=("GOOGLE_", "GCP_", "FIREBASE_")),
    Provider(id="azure", name="Azure", prefixes=("AZURE_",)),
    Provider(id="npm", name="npm", prefixes=("NPM_",)),
    Provider(id="pypi", name="PyPI", prefixes=("PYPI_",)),
    Provider(id="paypal", name="PayPal", prefixes=("PAYPAL_",),
             dashboard="PayPal Developer Dashboard > Apps & Credentials > Live"),
    Provider(id="plaid", name="Plaid", prefixes=("PLAID_",),
             dashboard="Plaid Dashboard > Developers > Keys (production)"),
    Provider(id="braintree", name="Braintree", prefixes=("BRAINTREE_",),
             dashboard="Braintree Control Panel > Settings > API (production account)"),
    Provider(id="paddle", name="Paddle", prefixes=("PADDLE_",),
             dashboard="Paddle > Developer tools > Authentication (live account)"),
    Provider(id="lemonsqueezy", name="Lemon Squeezy", prefixes=("LEMONSQUEEZY_", "LEMON_"),
             dashboard="Lemon Squeezy > Settings > API"),
    Provider(id="resend", name="Resend", prefixes=("RESEND_",),
             dashboard="Resend > API Keys > Create API key"),
    Provider(id="clerk", name="Clerk", prefixes=("CLERK_", "NEXT_PUBLIC_CLERK_"),
             dashboard="Clerk Dashboard > API keys (production instance)"),
    Provider(id="supabase", name="Supabase", prefixes=("SUPABASE_", "NEXT_PUBLIC_SUPABASE_"),
             dashboard="Supabase > Project settings > API"),
    Provider(id="sentry", name="Sentry", prefixes=("SENTRY_", "NEXT_PUBLIC_SENTRY_"),
             dashboard="Sentry > Settings > Auth Tokens / Client Keys (DSN)"),
    Provider(id="auth0", name="Auth0", prefixes=("AUTH0_",),
             dashboard="Auth0 Dashboard > Applications > your app > Settings"),
    Provider(id="upstash", name="Upstash", prefixes=("UPSTASH_",),
             dashboard="Upstash Console > your database > REST API"),
    Provider(id="posthog", name="PostHog", prefixes=("POSTHOG_", "NEXT_PUBLIC_POSTHOG_"),
             dashboard="PostHog > Project settings"),
    Provider(id="mailchimp", name="Mailchimp", prefixes=("MAILCHIMP_", "MANDRILL_"),
             dashboard="Mailchimp > Account > Extras > API keys"),
    Provider(id="square", name="Square", prefixes=("SQUARE_",),
             dashboard="Square Developer Dashboard > Credentials (production)"),
    Provider(id="adyen", name="Adyen", prefixes=("ADYEN_",),
             dashboard="Adyen Customer Area > Developers > API credentials (live)"),
)
_PUBLIC = re.compile(r"^(?:NEXT_PUBLIC_|VITE_|REACT_APP_|PUBLIC_|NUXT_PUBLIC_|EXPO_PUBLIC_|"
                     r"GATSBY_)")


def provider_of(name: str) -> Provider | None:
    """The provider a variable's name belongs to (``STRIPE_SECRET_KEY`` -> Stripe), or None."""
    upper = name.upper()
    bare = _PUBLIC.sub("", upper)
    for provider in PROVIDERS:
        if upper.startswith(provider.prefixes) or bare.startswith(provider.prefixes):
            return provider
    return None


@functools.cache
def steps(provider: Provider) -> str:
    """Where to get a new credential: the secret rules' rotation text, else the dashboard."""
    rotation = next((r.rotation for r in RULES if r.provider == provider.id), "")
    return rotation or f"{provider.name}: {provider.dashboard}."

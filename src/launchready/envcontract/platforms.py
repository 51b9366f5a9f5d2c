"""Variables the runtime or the hosting platform sets by itself, one table per platform.

Code may read them without any template declaring them (``VERCEL_ENV``, ``RENDER``,
``FLY_APP_NAME``): nobody has to set them for a new environment, so they are never
"read but not declared" (ENV006). Sources: each platform's documentation of its system
environment variables.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Platform:
    """One runtime or platform: the names it sets and the prefixes all of whose names it owns."""

    name: str
    names: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()


PLATFORMS: tuple[Platform, ...] = (
    Platform(name="the runtime", names=frozenset({
        "NODE_ENV", "PORT", "HOST", "HOSTNAME", "HOME", "PATH", "PWD", "USER", "SHELL", "TZ",
        "LANG", "TERM", "TMPDIR", "CI", "DEBUG_COLORS", "NODE_OPTIONS", "NEXT_RUNTIME",
        "NEXT_PHASE", "__NEXT_PRIVATE_ORIGIN", "PYTHONPATH", "PYTHONUNBUFFERED",
        "DJANGO_SETTINGS_MODULE", "WSGI_APPLICATION", "VIRTUAL_ENV", "KUBERNETES_SERVICE_HOST",
    }), prefixes=("npm_", "npm_package_", "npm_config_")),
    Platform(name="Vercel", names=frozenset({"VERCEL"}),
             prefixes=("VERCEL_", "NEXT_PUBLIC_VERCEL_", "VITE_VERCEL_", "REACT_APP_VERCEL_",
                       "NUXT_PUBLIC_VERCEL_", "PUBLIC_VERCEL_")),
    Platform(name="Netlify", names=frozenset({
        "NETLIFY", "URL", "DEPLOY_URL", "DEPLOY_PRIME_URL", "CONTEXT", "BRANCH", "HEAD",
        "COMMIT_REF", "CACHED_COMMIT_REF", "PULL_REQUEST", "REVIEW_ID", "SITE_NAME", "SITE_ID",
        "BUILD_ID", "DEPLOY_ID",
    }), prefixes=("NETLIFY_",)),
    Platform(name="Render", names=frozenset({"RENDER", "IS_PULL_REQUEST"}),
             prefixes=("RENDER_",)),
    Platform(name="Fly.io", names=frozenset({"PRIMARY_REGION"}), prefixes=("FLY_",)),
    Platform(name="Railway", prefixes=("RAILWAY_",)),
    Platform(name="Heroku", names=frozenset({"DYNO", "WEB_CONCURRENCY", "SOURCE_VERSION"}),
             prefixes=("HEROKU_",)),
    Platform(name="Google Cloud Run", names=frozenset({
        "K_SERVICE", "K_REVISION", "K_CONFIGURATION", "CLOUD_RUN_JOB", "GOOGLE_CLOUD_PROJECT",
        "GCLOUD_PROJECT", "FUNCTION_TARGET",
    })),
    Platform(name="AWS", names=frozenset({
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION", "LAMBDA_TASK_ROOT", "ECS_CONTAINER_METADATA_URI_V4",
    })),
    Platform(name="Cloudflare Pages", names=frozenset({"CF_PAGES"}), prefixes=("CF_PAGES_",)),
    Platform(name="GitHub Actions", names=frozenset({"GITHUB_ACTIONS"}),
             prefixes=("GITHUB_", "RUNNER_")),
)


def provided_by(name: str) -> str | None:
    """The platform that sets ``name`` by itself (``"Vercel"``), or None."""
    for platform in PLATFORMS:
        if name in platform.names or name.startswith(platform.prefixes):
            return platform.name
    return None


#: names libraries read from the environment by themselves (no ``process.env`` in the app's
#: code): a template declaring them is not stale. Next-Auth/Auth.js, the Sentry build plugin and
#: SDK, the OpenAI/Anthropic/AWS/Google SDKs, Clerk, Upstash ``Redis.fromEnv()``, Turborepo.
LIBRARY_NAMES = frozenset({
    "NEXTAUTH_URL", "NEXTAUTH_SECRET", "NEXTAUTH_URL_INTERNAL", "AUTH_SECRET", "AUTH_URL",
    "AUTH_TRUST_HOST", "SENTRY_AUTH_TOKEN", "SENTRY_ORG", "SENTRY_PROJECT", "SENTRY_DSN",
    "SENTRY_ENVIRONMENT", "SENTRY_RELEASE", "NEXT_TELEMETRY_DISABLED", "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "GOOGLE_APPLICATION_CREDENTIALS", "CLERK_SECRET_KEY", "UPSTASH_REDIS_REST_URL",
    "UPSTASH_REDIS_REST_TOKEN", "TURBO_TOKEN", "TURBO_TEAM", "DATABASE_URL", "DIRECT_URL",
})
LIBRARY_PREFIXES = ("NEXT_PUBLIC_CLERK_", "CLERK_", "AUTH_", "KV_", "POSTGRES_", "SENTRY_")


def read_by_library(name: str) -> bool:
    """True when a well-known library reads ``name`` itself (see :data:`LIBRARY_NAMES`)."""
    return name in LIBRARY_NAMES or name.startswith(LIBRARY_PREFIXES)

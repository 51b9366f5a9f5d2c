"""Hosting targets a subdomain can be CNAMEd to, and how each says "no such app here".

One row per provider: the CNAME suffixes that identify it, and the fingerprint of its answer
for a hostname nobody has claimed (a body substring, optionally with a status code or a
header). A CNAME into one of these suffixes whose live answer matches the fingerprint can be
claimed by anyone who signs up and adds the hostname (a subdomain takeover). A provider
listed without fingerprints is only used to name the host (and, with an NXDOMAIN target, the
generic dangling-CNAME rule applies).

The table is data, kept in one place so the provider map of the handover document and the
DNS003 check read the same names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from launchready.checks.dns.lookup import norm_name


@dataclass(frozen=True, kw_only=True)
class HostingTarget:
    """A hosting provider, its CNAME suffixes and its unclaimed-host fingerprint."""

    provider: str
    suffixes: tuple[str, ...]
    #: body substrings (case-insensitive); any one matching is enough
    fingerprints: tuple[str, ...] = ()
    #: when non-empty, the status must be one of these too
    statuses: tuple[int, ...] = ()
    #: (header, value substring) pairs that are a fingerprint on their own
    headers: tuple[tuple[str, str], ...] = ()
    #: how to reclaim the name at this provider
    reclaim: str = "add the hostname back to the app at the provider"


HOSTING_TARGETS: tuple[HostingTarget, ...] = (
    HostingTarget(provider="Heroku",
                  suffixes=("herokudns.com", "herokuapp.com", "herokussl.com"),
                  fingerprints=("no such app", "no-such-app", "there's nothing here, yet"),
                  statuses=(404,),
                  reclaim="`heroku domains:add HOST -a APP` on the app that should serve it"),
    HostingTarget(provider="GitHub Pages", suffixes=("github.io",),
                  fingerprints=("there isn't a github pages site here",), statuses=(404,),
                  reclaim="set the custom domain in the repository's Pages settings "
                          "(a CNAME file with HOST on the Pages branch)"),
    HostingTarget(provider="Amazon S3",
                  suffixes=("s3.amazonaws.com", "s3-website", "s3-website-"),
                  fingerprints=("nosuchbucket", "the specified bucket does not exist"),
                  statuses=(404,),
                  reclaim="create the bucket named exactly HOST in your AWS account "
                          "(`aws s3 mb s3://HOST`)"),
    HostingTarget(provider="Google Cloud Storage", suffixes=("c.storage.googleapis.com",),
                  fingerprints=("nosuchbucket", "the specified bucket does not exist"),
                  statuses=(404,),
                  reclaim="create the bucket named exactly HOST (`gcloud storage buckets "
                          "create gs://HOST`)"),
    HostingTarget(provider="Azure",
                  suffixes=("azurewebsites.net", "cloudapp.net", "cloudapp.azure.com",
                            "trafficmanager.net", "blob.core.windows.net", "azureedge.net",
                            "azurefd.net"),
                  fingerprints=("404 web site not found", "the resource you are looking for "
                                "has been removed"),
                  statuses=(404,),
                  reclaim="recreate the Azure resource with that name, or bind HOST as a "
                          "custom domain on the resource that should serve it"),
    HostingTarget(provider="Vercel", suffixes=("vercel.app", "vercel-dns.com", "now.sh"),
                  fingerprints=("deployment_not_found", "the deployment could not be found"),
                  statuses=(404,),
                  reclaim="add HOST under Project → Settings → Domains (`vercel domains add "
                          "HOST`)"),
    HostingTarget(provider="Netlify", suffixes=("netlify.app", "netlify.com"),
                  fingerprints=("not found - request id",), statuses=(404,),
                  reclaim="add HOST under Site configuration → Domain management"),
    HostingTarget(provider="Fly.io", suffixes=("fly.dev", "edgeapp.net"),
                  reclaim="`fly certs add HOST -a APP` on the app that should serve it"),
    HostingTarget(provider="Render", suffixes=("onrender.com",),
                  headers=(("x-render-routing", "no-server"),),
                  reclaim="add HOST under the service's Settings → Custom Domains"),
    HostingTarget(provider="Shopify", suffixes=("myshopify.com", "shops.myshopify.com"),
                  fingerprints=("sorry, this shop is currently unavailable",
                                "only one step left"),
                  reclaim="connect HOST in Shopify admin → Settings → Domains"),
    HostingTarget(provider="Fastly", suffixes=("fastly.net", "fastlylb.net"),
                  fingerprints=("fastly error: unknown domain",),
                  reclaim="add HOST as a domain of the Fastly service"),
    HostingTarget(provider="Zendesk", suffixes=("zendesk.com",),
                  fingerprints=("help center closed", "this help center no longer exists"),
                  reclaim="set HOST as the host mapping of the Zendesk help center"),
    HostingTarget(provider="Pantheon", suffixes=("pantheonsite.io",),
                  fingerprints=("the gods are wise, but do not know of the site which you seek",),
                  statuses=(404,), reclaim="add HOST to the site's environment domains"),
    HostingTarget(provider="Surge", suffixes=("surge.sh",),
                  fingerprints=("project not found",),
                  reclaim="`surge --domain HOST` from the project folder"),
    HostingTarget(provider="Bitbucket", suffixes=("bitbucket.io",),
                  fingerprints=("repository not found",),
                  reclaim="recreate the repository WORKSPACE.bitbucket.io"),
    HostingTarget(provider="Ghost", suffixes=("ghost.io",),
                  fingerprints=("the thing you were looking for is no longer here",),
                  reclaim="add HOST as the custom domain of the Ghost site"),
)


def _matches(name: str, suffix: str) -> bool:
    if suffix.endswith("-") or suffix.startswith("s3-website"):
        # S3 website endpoints are "BUCKET.s3-website-REGION.amazonaws.com" or
        # "BUCKET.s3-website.REGION.amazonaws.com": match the label, not a suffix
        return any(label.startswith(suffix) for label in name.split("."))
    return name == suffix or name.endswith("." + suffix)


def hosting_target(names: Sequence[str]) -> tuple[HostingTarget, str] | None:
    """The first provider any of ``names`` (a CNAME chain) points into, with that name."""
    for raw in names:
        name = norm_name(raw)
        for target in HOSTING_TARGETS:
            if any(_matches(name, s) for s in target.suffixes):
                return target, name
    return None


def fingerprint_matches(target: HostingTarget, status: int | None,
                        headers: Sequence[tuple[str, str]], body: str) -> bool:
    """True when an HTTP answer is the provider's "nothing claimed this host" page."""
    if status is None:
        return False
    for header, value in target.headers:
        if any(k.lower() == header and value in v.lower() for k, v in headers):
            return True
    if not target.fingerprints:
        return False
    if target.statuses and status not in target.statuses:
        return False
    lowered = body.lower()
    return any(f in lowered for f in target.fingerprints)

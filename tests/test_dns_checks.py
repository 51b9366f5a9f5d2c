"""DNS001–DNS006 as specifications over the pure layer: hand-made answers in, findings out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from launchready.checks.dns.apex import ApexObservation, evaluate_apex
from launchready.checks.dns.caa import (
    CaaObservation,
    caa_names,
    evaluate_caa,
    issuer_ca,
    parse_caa,
)
from launchready.checks.dns.environment import (
    EnvironmentObservation,
    Expectation,
    evaluate_environment,
    expectation,
)
from launchready.checks.dns.hosting_targets import (
    HOSTING_TARGETS,
    fingerprint_matches,
    hosting_target,
)
from launchready.checks.dns.lookup import (
    Budget,
    BudgetedLookup,
    Resolution,
    record_fqdn,
    resolve,
)
from launchready.checks.dns.provider import (
    ProviderObservation,
    ServerAnswer,
    evaluate_provider,
    expected_operator,
    operator_of,
    provider_matches,
)
from launchready.checks.dns.recordmap import build_record_map, questions
from launchready.checks.dns.records import (
    ExpectedRecord,
    RecordObservation,
    RecordView,
    Verdict,
    compare,
    evaluate_records,
    normalise,
    zone_line,
)
from launchready.checks.dns.takeover import TakeoverObservation, evaluate_takeover
from launchready.commands.dns import render_table
from launchready.config.models import Config
from launchready.model import Severity, Table
from launchready.probes.dns import DnsAnswer, DnsStatus
from launchready.probes.http import HttpResponse
from launchready.probes.tls import CertInfo, TlsObservation

TEMP = "could not check (temperror)"


def ans(name: str, rdtype: str, *records: str, status: DnsStatus | None = None,
        txt: tuple[tuple[bytes, ...], ...] = (), chain: tuple[str, ...] = ()) -> DnsAnswer:
    st = status or (DnsStatus.OK if records else DnsStatus.NODATA)
    return DnsAnswer(name=name, rdtype=rdtype, status=st, records=records, txt=txt,
                     ttl=300 if records else None, cname_chain=chain)


def fail(name: str, rdtype: str, status: DnsStatus) -> DnsAnswer:
    return DnsAnswer(name=name, rdtype=rdtype, status=status, error=status.value)


class FakeDns:
    """Answers from a table; anything not listed is NXDOMAIN."""

    def __init__(self, table: Mapping[tuple[str, str], DnsAnswer], delay: float = 0.0) -> None:
        self.table = table
        self.delay = delay
        self.asked: list[tuple[str, str]] = []

    async def query(self, name: str, rdtype: str) -> DnsAnswer:
        self.asked.append((name, rdtype))
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.table.get((name, rdtype), fail(name, rdtype, DnsStatus.NXDOMAIN))


# --- names and normal forms -----------------------------------------------------------------------

@pytest.mark.parametrize(("name", "domain", "want"), [
    ("@", "acme.example", "acme.example"),
    ("www", "acme.example", "www.acme.example"),
    ("WWW.Acme.Example", "acme.example", "www.acme.example"),
    ("status.other.example.", "acme.example", "status.other.example"),
    ("api", None, "api"),
], ids=["apex", "relative", "already-absolute", "trailing-dot", "no-domain"])
def test_record_fqdn(name: str, domain: str | None, want: str) -> None:
    assert record_fqdn(name, domain) == want


@pytest.mark.parametrize(("rdtype", "value", "want"), [
    ("A", " 192.0.2.1 ", "192.0.2.1"),
    ("AAAA", "2001:DB8:0:0::1", "2001:db8::1"),
    ("CNAME", "Acme.Example.", "acme.example"),
    ("CNAME", "@", "acme.example"),
    ("MX", "10   Mail.Acme.Example.", "10 mail.acme.example"),
    ("MX", "mail.acme.example", "mail.acme.example"),
    ("TXT", '"v=spf1 " "-all"', "v=spf1 -all"),
    ("TXT", "v=spf1 -all", "v=spf1 -all"),
    ("TXT", '"say \\"hi\\"\\059"', 'say "hi";'),
    ("CAA", '0 ISSUE "letsencrypt.org"', '0 issue "letsencrypt.org"'),
    ("CAA", "issue letsencrypt.org", '0 issue "letsencrypt.org"'),
    ("SRV", "10 5 443 Sip.Acme.Example.", "10 5 443 sip.acme.example"),
    ("NS", "NS1.Acme.Example", "ns1.acme.example"),
], ids=["a", "aaaa-compressed", "cname-case-dot", "cname-at", "mx-spacing", "mx-no-pref",
        "txt-split", "txt-bare", "txt-escapes", "caa-tag-case", "caa-no-flags", "srv", "ns"])
def test_normalise(rdtype: str, value: str, want: str) -> None:
    assert normalise(rdtype, value, domain="acme.example") == want


# --- DNS001 ---------------------------------------------------------------------------------------

WWW = ExpectedRecord(name="www.acme.example", rdtype="CNAME", values=("acme.example.",))
APEX_A = ExpectedRecord(name="acme.example", rdtype="A", values=("203.0.113.10",))
SPF = ExpectedRecord(name="acme.example", rdtype="TXT", values=("v=spf1 -all",))
MX = ExpectedRecord(name="acme.example", rdtype="MX", values=("mail.acme.example",))


@pytest.mark.parametrize(("record", "answer", "verdict"), [
    (WWW, ans("www.acme.example", "CNAME", "acme.example."), Verdict.OK),
    (WWW, ans("www.acme.example", "CNAME", "ACME.example"), Verdict.OK),
    (WWW, ans("www.acme.example", "CNAME", "old.fly.dev."), Verdict.DIFFERENT),
    (WWW, fail("www.acme.example", "CNAME", DnsStatus.NXDOMAIN), Verdict.MISSING),
    (WWW, ans("www.acme.example", "CNAME"), Verdict.MISSING),
    (WWW, fail("www.acme.example", "CNAME", DnsStatus.TIMEOUT), Verdict.TEMPERROR),
    (WWW, fail("www.acme.example", "CNAME", DnsStatus.SERVFAIL), Verdict.TEMPERROR),
    (WWW, fail("www.acme.example", "CNAME", DnsStatus.ERROR), Verdict.TEMPERROR),
    (APEX_A, ans("acme.example", "A", "203.0.113.10", "203.0.113.11"), Verdict.DIFFERENT),
    (APEX_A, ans("acme.example", "A", chain=("x.fly.dev.",)), Verdict.DIFFERENT),
    (SPF, ans("acme.example", "TXT", '"v=spf1 " "-all"', '"verify=1"',
              txt=((b"v=spf1 ", b"-all"), (b"verify=1",))), Verdict.OK),
    (SPF, ans("acme.example", "TXT", '"\\255"', txt=((b"\xff",),)), Verdict.DIFFERENT),
    (MX, ans("acme.example", "MX", "20 mail.acme.example."), Verdict.OK),
], ids=["same", "case-insensitive", "other-target", "nxdomain", "nodata", "timeout",
        "servfail", "error", "extra-address", "cname-instead-of-a", "txt-split-subset",
        "txt-undecodable", "mx-any-preference"])
def test_compare(record: ExpectedRecord, answer: DnsAnswer, verdict: Verdict) -> None:
    assert compare(record, answer, domain="acme.example").verdict is verdict


def view(source: str, *answers: DnsAnswer) -> RecordView:
    return RecordView(source=source, answers={(a.name, a.rdtype): a for a in answers})


def test_records_temperror_is_error_not_finding() -> None:
    obs = RecordObservation(domain="acme.example", expected=(WWW,),
                            views=(view("resolver", fail("www.acme.example", "CNAME",
                                                         DnsStatus.SERVFAIL)),))
    out = evaluate_records(obs)
    assert out.findings == ()
    assert out.errors["DNS001"].startswith(TEMP)


def test_records_stale_nameserver_is_named() -> None:
    good = ans("www.acme.example", "CNAME", "acme.example.")
    stale = ans("www.acme.example", "CNAME", "old.herokuapp.com.")
    obs = RecordObservation(domain="acme.example", expected=(WWW,), authoritative=True,
                            views=(view("resolver", good), view("ns1 (192.0.2.53)", good),
                                   view("ns2 (192.0.2.54)", stale)))
    (finding,) = evaluate_records(obs).findings
    assert finding.title == "DNS record differs from the map on 1 of 3 sources"
    assert "ns2 (192.0.2.54): different" in finding.evidence
    assert "`www.acme.example. 300 IN CNAME acme.example.`" in finding.fix
    assert finding.severity is Severity.HIGH


def test_records_fingerprint_is_stable_across_values() -> None:
    def run(target: str) -> str:
        obs = RecordObservation(domain="acme.example", expected=(WWW,),
                                views=(view("resolver", ans("www.acme.example", "CNAME",
                                                            target)),))
        return evaluate_records(obs).findings[0].fingerprint
    assert run("a.fly.dev.") == run("b.fly.dev.")


@pytest.mark.parametrize(("record", "value", "line"), [
    (WWW, "@", "www.acme.example. 300 IN CNAME acme.example."),
    (MX, "10 mail.acme.example", "acme.example. 300 IN MX 10 mail.acme.example."),
    (SPF, "v=spf1 -all", 'acme.example. 300 IN TXT "v=spf1 -all"'),
    (SPF, "x" * 300, f'acme.example. 300 IN TXT "{"x" * 255}" "{"x" * 45}"'),
], ids=["cname-at", "mx", "txt", "txt-long-split"])
def test_zone_line(record: ExpectedRecord, value: str, line: str) -> None:
    assert zone_line(record, value, domain="acme.example") == line


# --- DNS002 ---------------------------------------------------------------------------------------

def apex(a: DnsAnswer, aaaa: DnsAnswer | None = None, cname: DnsAnswer | None = None
         ) -> ApexObservation:
    return ApexObservation(domain="acme.example", a=a,
                           aaaa=aaaa or ans("acme.example", "AAAA"),
                           cname=cname or ans("acme.example", "CNAME"))


@pytest.mark.parametrize(("obs", "title", "error"), [
    (apex(ans("acme.example", "A", "203.0.113.10")), None, False),
    (apex(ans("acme.example", "A"), ans("acme.example", "AAAA", "2001:db8::1")), None, False),
    (apex(ans("acme.example", "A")), "Apex does not resolve", False),
    (apex(fail("acme.example", "A", DnsStatus.NXDOMAIN),
          fail("acme.example", "AAAA", DnsStatus.NXDOMAIN)), "Apex does not resolve", False),
    (apex(ans("acme.example", "A", "203.0.113.10"),
          cname=ans("acme.example", "CNAME", "acme.netlify.app.")), "CNAME at the apex", False),
    (apex(fail("acme.example", "A", DnsStatus.TIMEOUT)), None, True),
    (apex(fail("acme.example", "A", DnsStatus.SERVFAIL),
          fail("acme.example", "AAAA", DnsStatus.SERVFAIL)), None, True),
], ids=["a", "aaaa-only", "nodata", "nxdomain", "cname", "timeout", "servfail"])
def test_apex(obs: ApexObservation, title: str | None, error: bool) -> None:
    out = evaluate_apex(obs)
    assert [f.title for f in out.findings] == ([title] if title else [])
    assert ("DNS002" in out.errors) is error
    if error:
        assert out.errors["DNS002"].startswith(TEMP)


# --- DNS003 ---------------------------------------------------------------------------------------

def resolved(name: str, *chain: str, addresses: tuple[str, ...] = ("192.0.2.5",)
             ) -> Resolution:
    final = chain[-1] if chain else name
    return Resolution(name=name, chain=chain, a=ans(final, "A", *addresses),
                      aaaa=ans(final, "AAAA"))


def page(status: int, body: str, headers: tuple[tuple[str, str], ...] = ()) -> HttpResponse:
    return HttpResponse(url="http://x.acme.example/", status=status, body=body.encode(),
                        headers=headers)


@pytest.mark.parametrize(("res", "http", "title"), [
    (resolved("docs.acme.example", "acme.github.io"), (page(200, "<h1>Docs</h1>"),), None),
    (resolved("docs.acme.example", "acme.github.io"),
     (page(404, "There isn't a GitHub Pages site here."),), "Unclaimed GitHub Pages target"),
    (resolved("api.acme.example", "acme-api.herokuapp.com"),
     (page(404, "<iframe src='//www.herokucdn.com/error-pages/no-such-app.html'>"),),
     "Unclaimed Heroku target"),
    (resolved("files.acme.example", "files.acme.example.s3.amazonaws.com"),
     (page(404, "<Code>NoSuchBucket</Code>"),), "Unclaimed Amazon S3 target"),
    (resolved("web.acme.example", "acme.onrender.com"),
     (page(404, "", (("X-Render-Routing", "no-server"),)),), "Unclaimed Render target"),
    (Resolution(name="status.acme.example", chain=("gone.herokuapp.com",), exists=False),
     (), "Dangling CNAME"),
    (Resolution(name="old.acme.example", chain=("gone.example.net",), exists=False),
     (), "Dangling CNAME"),
    (Resolution(name="a.acme.example", chain=("b.acme.example", "a.acme.example"), loop=True),
     (), "CNAME chain loops"),
    (resolved("www.acme.example", "acme.example"), (), None),
    (resolved("shop.acme.example", "acme.myshopify.com"), (page(200, "Welcome"),), None),
], ids=["pages-claimed", "pages-unclaimed", "heroku-unclaimed", "s3-nosuchbucket",
        "render-header", "dangling-platform", "dangling-other", "loop", "in-zone-alias",
        "shopify-claimed"])
def test_takeover(res: Resolution, http: tuple[HttpResponse, ...], title: str | None) -> None:
    out = evaluate_takeover(TakeoverObservation(resolutions=(res,), http={res.name: http}))
    assert [f.title for f in out.findings] == ([title] if title else [])
    assert out.errors == {}


def test_takeover_temporary_failure_is_error() -> None:
    res = Resolution(name="status.acme.example", chain=("acme.herokuapp.com",),
                     stopped=fail("acme.herokuapp.com", "CNAME", DnsStatus.SERVFAIL))
    out = evaluate_takeover(TakeoverObservation(resolutions=(res,)))
    assert out.findings == ()
    assert out.errors["DNS003"].startswith(TEMP)


@pytest.mark.parametrize(("chain", "provider"), [
    (("acme.herokudns.com",), "Heroku"),
    (("acme.github.io",), "GitHub Pages"),
    (("b.s3-website-eu-west-1.amazonaws.com",), "Amazon S3"),
    (("b.s3-website.eu-west-1.amazonaws.com",), "Amazon S3"),
    (("acme.azurewebsites.net",), "Azure"),
    (("acme.trafficmanager.net",), "Azure"),
    (("cname.vercel-dns.com",), "Vercel"),
    (("acme.netlify.app",), "Netlify"),
    (("acme.fly.dev",), "Fly.io"),
    (("cdn.example.net", "acme.global.fastly.net"), "Fastly"),
    (("acme.example",), None),
    (("notgithub.io.example",), None),
], ids=["heroku", "pages", "s3-dash", "s3-dot", "azure", "trafficmanager", "vercel",
        "netlify", "fly", "second-hop", "none", "suffix-not-substring"])
def test_hosting_target(chain: tuple[str, ...], provider: str | None) -> None:
    found = hosting_target(chain)
    assert (found[0].provider if found else None) == provider


def test_fingerprint_needs_status_when_listed() -> None:
    heroku = next(t for t in HOSTING_TARGETS if t.provider == "Heroku")
    assert fingerprint_matches(heroku, 404, (), "No such app")
    assert not fingerprint_matches(heroku, 200, (), "No such app")
    assert not fingerprint_matches(heroku, None, (), "No such app")


# --- DNS004 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ns", "key"), [
    ("ada.ns.cloudflare.com", "cloudflare"),
    ("ns-1234.awsdns-12.org.", "route53"),
    ("ns-cloud-a1.googledomains.com", "google"),
    ("ns1-05.azure-dns.com", "azure"),
    ("ns1.dnsimple.com", "dnsimple"),
    ("dns1.registrar-servers.com", "namecheap"),
    ("ns51.domaincontrol.com", "godaddy"),
    ("hydrogen.ns.hetzner.com", "hetzner"),
    ("ns1.digitalocean.com", "digitalocean"),
    ("ns1.vercel-dns.com", "vercel"),
    ("dns1.p01.nsone.net", "netlify"),
    ("ns1.acme.example", None),
], ids=["cloudflare", "route53", "google", "azure", "dnsimple", "namecheap", "godaddy",
        "hetzner", "digitalocean", "vercel", "netlify", "unknown"])
def test_operator_of(ns: str, key: str | None) -> None:
    op = operator_of(ns)
    assert (op.key if op else None) == key


@pytest.mark.parametrize(("provider", "ns", "ok"), [
    ("cloudflare", "ada.ns.cloudflare.com", True),
    ("Cloudflare", "ns1.digitalocean.com", False),
    ("AWS", "ns-1.awsdns-01.net", True),
    ("Amazon Route 53", "ns-1.awsdns-01.net", True),
    ("acme.example", "ns1.acme.example", True),
    ("acme.example", "ns1.other.example", False),
], ids=["match", "mismatch", "alias", "full-name", "own-domain", "own-domain-mismatch"])
def test_provider_matches(provider: str, ns: str, ok: bool) -> None:
    assert provider_matches(provider, ns) is ok


def test_unknown_provider_name_is_not_an_operator() -> None:
    assert expected_operator("my-own-bind") is None


def nsobs(*names: str, provider: str | None = "cloudflare",
          servers: tuple[ServerAnswer, ...] = ()) -> ProviderObservation:
    return ProviderObservation(domain="acme.example", provider=provider,
                               ns=ans("acme.example", "NS", *names), servers=servers,
                               authoritative=bool(servers))


def server(ns: str, serial: int, *names: str) -> ServerAnswer:
    soa = ans("acme.example", "SOA", f"{ns}. hostmaster.acme.example. {serial} 3600 600 "
                                     "86400 300")
    return ServerAnswer(server=ns, source=f"{ns} (192.0.2.1)", soa=soa,
                        ns=ans("acme.example", "NS", *names))


CF = ("ada.ns.cloudflare.com.", "bob.ns.cloudflare.com.")


@pytest.mark.parametrize(("obs", "title"), [
    (nsobs(*CF), None),
    (nsobs(*CF, provider=None), None),
    (nsobs("dns1.registrar-servers.com.", "dns2.registrar-servers.com."),
     "Nameservers are not Cloudflare's"),
    (nsobs(*CF, "ns51.domaincontrol.com.", provider=None), "Nameservers of several operators"),
    (nsobs(), "No nameservers published"),
    (nsobs(*CF, servers=(server(CF[0], 5, *CF), server(CF[1], 5, *CF))), None),
    (nsobs(*CF, servers=(server(CF[0], 5, *CF), server(CF[1], 4, *CF))),
     "Nameservers disagree"),
    (nsobs(*CF, servers=(server(CF[0], 5, *CF), server(CF[1], 5, CF[1]))),
     "Nameservers disagree"),
], ids=["expected", "no-provider-configured", "wrong-operator", "mixed", "no-ns", "agree",
        "serial-differs", "ns-set-differs"])
def test_provider(obs: ProviderObservation, title: str | None) -> None:
    out = evaluate_provider(obs)
    assert [f.title for f in out.findings] == ([title] if title else [])


def test_provider_ns_timeout_is_error() -> None:
    obs = ProviderObservation(domain="acme.example", provider="cloudflare",
                              ns=fail("acme.example", "NS", DnsStatus.TIMEOUT))
    out = evaluate_provider(obs)
    assert out.findings == ()
    assert out.errors["DNS004"].startswith(TEMP)


# --- DNS005 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("issuer", "caa"), [
    ("CN=R11,O=Let's Encrypt,C=US", "letsencrypt.org"),
    ("CN=WR1,O=Google Trust Services,C=US", "pki.goog"),
    ("CN=ZeroSSL RSA Domain Secure Site CA,O=ZeroSSL,C=AT", "sectigo.com"),
    ("CN=Sectigo RSA Domain Validation Secure Server CA,O=Sectigo Limited,C=GB",
     "sectigo.com"),
    ("CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US", "digicert.com"),
    ("CN=Amazon RSA 2048 M02,O=Amazon,C=US", "amazon.com"),
    ("CN=launchready throwaway root intermediate,O=launchready throwaway", None),
], ids=["lets-encrypt", "google", "zerossl", "sectigo", "digicert", "amazon", "private"])
def test_issuer_ca(issuer: str, caa: str | None) -> None:
    ca = issuer_ca(issuer)
    assert (ca.caa[0] if ca else None) == caa


@pytest.mark.parametrize(("text", "tag", "domain"), [
    ('0 issue "letsencrypt.org"', "issue", "letsencrypt.org"),
    ('128 ISSUEWILD "pki.goog; cansignhttpexchanges=yes"', "issuewild", "pki.goog"),
    ('0 issue ";"', "issue", ""),
], ids=["plain", "params-and-case", "forbid-all"])
def test_parse_caa(text: str, tag: str, domain: str) -> None:
    prop = parse_caa(text)
    assert prop is not None
    assert (prop.tag, prop.issuer_domain) == (tag, domain)


def test_parse_caa_garbage() -> None:
    assert parse_caa("not caa") is None


def test_caa_names_climb_to_apex() -> None:
    assert caa_names("a.b.acme.example", "acme.example") == (
        "a.b.acme.example", "b.acme.example", "acme.example")


NOW = datetime(2026, 11, 27, tzinfo=UTC)


def tls(issuer: str, sans: tuple[str, ...] = ("app.acme.example",)) -> TlsObservation:
    leaf = CertInfo(subject="CN=app.acme.example", issuer=issuer, sans=sans,
                    not_before=NOW - timedelta(days=10), not_after=NOW + timedelta(days=80),
                    serial="1", sha256="ab" * 32, self_signed=False, is_ca=False)
    return TlsObservation(host="app.acme.example", port=443, address="192.0.2.1",
                          connected=True, failure=None, chain=(leaf,))


LE = "CN=R11,O=Let's Encrypt,C=US"


def caa_obs(apex: DnsAnswer, cert: TlsObservation | None = None) -> CaaObservation:
    return CaaObservation(domain="acme.example", host="app.acme.example",
                          answers=(ans("app.acme.example", "CAA"), apex), tls=cert)


@pytest.mark.parametrize(("obs", "severity"), [
    (caa_obs(ans("acme.example", "CAA", '0 issue "letsencrypt.org"'), tls(LE)), None),
    (caa_obs(ans("acme.example", "CAA"), tls(LE)), Severity.LOW),
    (caa_obs(ans("acme.example", "CAA", '0 issue "digicert.com"'), tls(LE)), Severity.HIGH),
    (caa_obs(ans("acme.example", "CAA", '0 issue ";"'), tls(LE)), Severity.HIGH),
    (caa_obs(ans("acme.example", "CAA", '0 issue "digicert.com"'),
             tls("CN=x,O=launchready throwaway")), None),
    (caa_obs(ans("acme.example", "CAA", '0 issue "digicert.com"',
                 '0 issuewild "letsencrypt.org"'), tls(LE, ("*.acme.example",))), None),
    (caa_obs(ans("acme.example", "CAA", '0 iodef "mailto:x@acme.example"'), tls(LE)), None),
    (caa_obs(ans("acme.example", "CAA", '0 issue "digicert.com"')), None),
], ids=["allowed", "missing", "forbids-issuer", "forbids-all", "unknown-issuer",
        "wildcard-uses-issuewild", "no-issue-tag", "no-certificate"])
def test_caa(obs: CaaObservation, severity: Severity | None) -> None:
    out = evaluate_caa(obs)
    assert [f.severity for f in out.findings] == ([severity] if severity else [])


def test_caa_closest_set_wins() -> None:
    obs = CaaObservation(domain="acme.example", host="app.acme.example", tls=tls(LE), answers=(
        ans("app.acme.example", "CAA", '0 issue "letsencrypt.org"'),
        ans("acme.example", "CAA", '0 issue "digicert.com"')))
    assert evaluate_caa(obs).findings == ()


def test_caa_servfail_is_error() -> None:
    out = evaluate_caa(caa_obs(fail("acme.example", "CAA", DnsStatus.SERVFAIL), tls(LE)))
    assert out.findings == ()
    assert out.errors["DNS005"].startswith(TEMP)


# --- DNS006 ---------------------------------------------------------------------------------------

def config(*records: dict[str, object]) -> Config:
    return Config.model_validate({"app": {"domain": "acme.example",
                                          "canonical": "https://app.acme.example"},
                                  "dns": {"records": list(records)}})


@pytest.mark.parametrize(("cfg", "want"), [
    (config({"name": "app", "type": "A", "values": ["203.0.113.10"]}),
     Expectation(host="app.acme.example", addresses=("203.0.113.10",))),
    (config({"name": "app", "type": "CNAME", "values": ["acme-prod.fly.dev."]}),
     Expectation(host="app.acme.example", targets=("acme-prod.fly.dev",))),
    (config({"name": "app", "type": "CNAME", "values": ["@"]},
            {"name": "@", "type": "A", "values": ["203.0.113.10"]}),
     Expectation(host="app.acme.example", addresses=("203.0.113.10",),
                 targets=("acme.example",))),
    (config({"name": "www", "type": "A", "values": ["203.0.113.10"]}), None),
], ids=["own-a", "cname", "cname-to-mapped-apex", "not-in-map"])
def test_expectation(cfg: Config, want: Expectation | None) -> None:
    assert expectation(cfg) == want


PROD = Expectation(host="app.acme.example", targets=("acme-prod.fly.dev",))


@pytest.mark.parametrize(("obs", "finding", "error"), [
    (EnvironmentObservation(expected=PROD, live=resolved("app.acme.example",
                                                          "acme-prod.fly.dev"),
                            targets=(resolved("acme-prod.fly.dev"),)), False, False),
    (EnvironmentObservation(expected=PROD,
                            live=resolved("app.acme.example", "acme-staging.fly.dev",
                                          addresses=("192.0.2.99",)),
                            targets=(resolved("acme-prod.fly.dev"),)), True, False),
    (EnvironmentObservation(expected=Expectation(host="app.acme.example",
                                                 addresses=("192.0.2.5",)),
                            live=resolved("app.acme.example")), False, False),
    (EnvironmentObservation(expected=Expectation(host="app.acme.example",
                                                 addresses=("203.0.113.10",)),
                            live=resolved("app.acme.example", addresses=("10.0.0.7",))),
     True, False),
    (EnvironmentObservation(expected=PROD, live=Resolution(
        name="app.acme.example", stopped=fail("app.acme.example", "CNAME",
                                              DnsStatus.TIMEOUT))), False, True),
    (EnvironmentObservation(expected=PROD, live=Resolution(name="app.acme.example",
                                                           exists=False)), False, False),
], ids=["through-target", "staging", "own-address", "other-address", "timeout",
        "not-resolving-is-dns001s"])
def test_environment(obs: EnvironmentObservation, finding: bool, error: bool) -> None:
    out = evaluate_environment(obs)
    assert bool(out.findings) is finding
    assert ("DNS006" in out.errors) is error
    if finding:
        assert out.findings[0].severity is Severity.CRITICAL


def test_environment_names_staging() -> None:
    obs = EnvironmentObservation(expected=PROD,
                                 live=resolved("app.acme.example", "acme-staging.fly.dev",
                                               addresses=("192.0.2.99",)),
                                 targets=(resolved("acme-prod.fly.dev"),))
    evidence = evaluate_environment(obs).findings[0].evidence
    assert "acme-staging.fly.dev looks like a non-production environment" in evidence


# --- lookups: CNAME walks and the time budget -----------------------------------------------------

def test_resolve_walks_chain() -> None:
    dns = FakeDns({("a.test", "CNAME"): ans("a.test", "CNAME", "b.test."),
                   ("b.test", "CNAME"): ans("b.test", "CNAME"),
                   ("b.test", "A"): ans("b.test", "A", "192.0.2.1"),
                   ("b.test", "AAAA"): ans("b.test", "AAAA")})
    res = asyncio.run(resolve(dns, "A.test."))
    assert (res.chain, res.addresses, res.exists, res.loop) == (("b.test",), ("192.0.2.1",),
                                                                True, False)


def test_resolve_loop_and_long_chain() -> None:
    loop = FakeDns({("a.test", "CNAME"): ans("a.test", "CNAME", "b.test."),
                    ("b.test", "CNAME"): ans("b.test", "CNAME", "a.test.")})
    assert asyncio.run(resolve(loop, "a.test")).loop
    chain = FakeDns({(f"n{i}.test", "CNAME"): ans(f"n{i}.test", "CNAME", f"n{i + 1}.test.")
                     for i in range(20)})
    assert asyncio.run(resolve(chain, "n0.test")).loop


def test_budget_bounds_total_time() -> None:
    async def run() -> tuple[list[DnsAnswer], float]:
        slow = FakeDns({}, delay=5.0)
        lookup = BudgetedLookup(slow, Budget(0.2), label="resolver")
        loop = asyncio.get_running_loop()
        started = loop.time()
        answers = await asyncio.gather(*(lookup.query(f"n{i}.test", "A") for i in range(5)))
        late = await lookup.query("late.test", "A")
        return [*answers, late], loop.time() - started
    answers, elapsed = asyncio.run(run())
    assert elapsed < 1.0
    assert all(a.status is DnsStatus.TIMEOUT for a in answers)
    assert "budget" in (answers[-1].error or "")


def test_repeated_questions_are_asked_once() -> None:
    async def run() -> FakeDns:
        dns = FakeDns({("a.test", "A"): ans("a.test", "A", "192.0.2.1")})
        lookup = BudgetedLookup(dns, Budget(5), label="resolver")
        await asyncio.gather(lookup.query("a.test", "A"), lookup.query("A.test.", "a"))
        return dns
    assert asyncio.run(run()).asked == [("a.test", "A")]


# --- the record map -------------------------------------------------------------------------------

def test_build_record_map() -> None:
    answers = {
        ("acme.example", "A"): ans("acme.example", "A", "203.0.113.10"),
        ("acme.example", "NS"): ans("acme.example", "NS", "ada.ns.cloudflare.com."),
        ("acme.example", "MX"): ans("acme.example", "MX", "1 aspmx.l.google.com."),
        ("acme.example", "TXT"): fail("acme.example", "TXT", DnsStatus.SERVFAIL),
        ("www.acme.example", "CNAME"): ans("www.acme.example", "CNAME", "acme.netlify.app."),
        ("www.acme.example", "A"): ans("www.acme.example", "A", "198.51.100.1",
                                       chain=("acme.netlify.app.",)),
        ("api.acme.example", "A"): fail("api.acme.example", "A", DnsStatus.NXDOMAIN),
        ("status.acme.example", "CNAME"): fail("status.acme.example", "CNAME",
                                               DnsStatus.NXDOMAIN),
    }
    expected = [APEX_A, ExpectedRecord(name="status.acme.example", rdtype="CNAME",
                                       values=("s.herokuapp.com",))]
    table = build_record_map(answers, domain="acme.example", expected=expected)
    rows = {(r[0], r[1]): r for r in table.rows}
    assert rows[("acme.example", "A")][3:] == ("203.0.113.10", "", "yes")
    assert rows[("acme.example", "NS")][4] == "Cloudflare"
    assert rows[("acme.example", "MX")][4] == "Google Workspace"
    assert rows[("acme.example", "TXT")][3].startswith(TEMP)
    assert rows[("www.acme.example", "CNAME")][3:5] == ("acme.netlify.app", "Netlify")
    assert ("www.acme.example", "A") not in rows  # an alias is shown by its CNAME row
    assert ("api.acme.example", "A") not in rows
    assert rows[("status.acme.example", "CNAME")][5] == "missing"
    assert table.rows[0][0] == "acme.example"


def test_questions_cover_apex_map_and_usual_names() -> None:
    keys = questions("acme.example", [WWW])
    assert ("acme.example", "CAA") in keys
    assert ("www.acme.example", "CNAME") in keys
    assert ("status.acme.example", "CNAME") in keys
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("fmt", ["terminal", "md", "json"])
def test_render_table(fmt: str) -> None:
    table = Table(title="DNS record map of acme.example", columns=("name", "value"),
                  rows=(("acme.example", "v=spf1 | -all\x1b[31m"),))
    out = render_table(table, fmt)
    if fmt == "json":
        assert json.loads(out)["rows"] == [{"name": "acme.example",
                                            "value": "v=spf1 | -all\x1b[31m"}]
    else:
        assert "\x1b" not in out
    if fmt == "md":
        assert "v=spf1 \\| -all" in out

"""The one redirect policy (probes.http.follow_redirects) the audit, smoke and monitor share.

The follower is a pure loop over a ``send`` callable, so these cases script the responses; the
real-server paths are covered by the web matrix, smoke flow and monitor fault tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from launchready.probes.http import Followed, Request, follow_redirects, origin_of


@dataclass(frozen=True, kw_only=True)
class Answer:
    """A scripted response; ``location`` is absolute, as the follower expects."""

    status: int
    location: str | None = None


def run(routes: Mapping[str, Answer], first: Request, *, max_redirects: int = 5,
        credentials: Mapping[str, str] | None = None,
        follow: bool = True) -> tuple[list[Request], Followed[Answer]]:
    """Follow ``first`` through scripted answers (200 for any URL not in ``routes``)."""
    sent: list[Request] = []

    async def send(request: Request) -> Answer:
        sent.append(request)
        return routes.get(request.url, Answer(status=200))

    chain = asyncio.run(follow_redirects(send, first, credentials=credentials,
                                         max_redirects=max_redirects, follow=follow))
    return sent, chain


def test_credentials_stay_on_their_origin_and_plain_headers_travel() -> None:
    routes = {"https://app.test/a": Answer(status=302, location="https://cdn.test/b"),
              "https://cdn.test/b": Answer(status=302, location="https://app.test:443/c")}
    sent, chain = run(routes, Request(url="https://app.test/a", headers={"Accept": "x"}),
                      credentials={"Authorization": "Bearer t"})
    assert [r.url for r in sent] == ["https://app.test/a", "https://cdn.test/b",
                                     "https://app.test:443/c"]
    assert [dict(r.headers) for r in sent] == [
        {"Accept": "x", "Authorization": "Bearer t"},
        {"Accept": "x"},  # another origin: no credentials
        {"Accept": "x", "Authorization": "Bearer t"},  # :443 is the same origin again
    ]
    assert len(chain.hops) == 3 and not (chain.loop or chain.capped or chain.refused)


@pytest.mark.parametrize(("status", "method", "then_method", "keeps_body"), [
    (301, "POST", "GET", False),
    (302, "POST", "GET", False),
    (303, "POST", "GET", False),
    (303, "HEAD", "GET", False),
    (302, "HEAD", "HEAD", False),
    (307, "POST", "POST", True),
    (308, "PUT", "PUT", True),
], ids=["301-post", "302-post", "303-post", "303-head", "302-head", "307-post", "308-put"])
def test_rfc9110_methods_and_bodies(status: int, method: str, then_method: str,
                                    keeps_body: bool) -> None:
    routes = {"https://app.test/a": Answer(status=status, location="https://app.test/b")}
    sent, _ = run(routes, Request(url="https://app.test/a", method=method, json={"k": 1}))
    assert sent[1].url == "https://app.test/b"
    assert sent[1].method == then_method
    assert (sent[1].json is not None) is keeps_body


def test_a_body_is_never_resent_to_another_origin() -> None:
    routes = {"https://app.test/a": Answer(status=307, location="https://evil.test/b")}
    sent, chain = run(routes, Request(url="https://app.test/a", method="POST", data="pw=1"))
    assert len(sent) == 1
    assert chain.refused == ("307 redirect would re-send the request body to another "
                             "origin (evil.test); refused")


@pytest.mark.parametrize(("routes", "flag"), [
    ({"http://a.test/": Answer(status=301, location="http://a.test/")}, "loop"),
    ({"http://a.test/": Answer(status=301, location="http://b.test/"),
      "http://b.test/": Answer(status=301, location="http://a.test/")}, "loop"),
    ({f"http://a.test/{n}": Answer(status=302, location=f"http://a.test/{n + 1}")
      for n in range(10)}, "capped"),
    ({"http://a.test/": Answer(status=302, location="ftp://a.test/file")}, "refused"),
], ids=["self-loop", "two-hop-loop", "cap", "non-http"])
def test_chain_ends(routes: dict[str, Answer], flag: str) -> None:
    start = next(iter(routes))
    sent, chain = run(routes, Request(url=start), max_redirects=3)
    assert bool(getattr(chain, flag))
    assert len(sent) <= 4
    if flag == "capped":
        assert len(sent) == 4  # three redirects followed, the fourth answer is one more


def test_follow_false_sends_once() -> None:
    routes = {"http://a.test/": Answer(status=302, location="http://a.test/b")}
    sent, chain = run(routes, Request(url="http://a.test/"), follow=False)
    assert len(sent) == 1 and not chain.capped


@pytest.mark.parametrize(("a", "b", "same"), [
    ("https://A.test/x", "https://a.test:443/y", True),
    ("http://a.test/", "https://a.test/", False),
    ("http://a.test:8080/", "http://a.test/", False),
    ("http://a.test:bad/", "http://a.test:bad/", True),
], ids=["default-port", "scheme", "port", "bad-port"])
def test_origin(a: str, b: str, same: bool) -> None:
    assert (origin_of(a) == origin_of(b)) is same

"""DMARC records (RFC 7489 §6.3, with the changes of RFC 9989), alignment and the
organisational domain, as pure functions.

``select_records`` picks the ``v=DMARC1`` records out of one TXT answer (RFC 7489 §6.6.3: more
than one means no policy), ``parse_record`` validates one record and returns a ``DmarcRecord``
(with non-fatal ``notes``, such as tags RFC 9989 removed) or a ``DmarcProblem``.

The organisational domain comes from the Public Suffix List shipped inside the
``publicsuffixlist`` package (RFC 7489 §3.2): nothing is downloaded at run time, and the package
is refreshed on PyPI as the list changes, so upgrading it upgrades the list.
RFC 9989 replaces the list with a DNS tree walk; for the domains a founder runs both agree.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from publicsuffixlist import PublicSuffixList

__all__ = [
    "POLICY_STRENGTH",
    "DmarcProblem",
    "DmarcRecord",
    "DmarcSelection",
    "ReportUri",
    "aligned",
    "authorization_name",
    "organizational_domain",
    "parse_record",
    "select_records",
]

#: weakest to strongest (RFC 7489 §6.3 ``p=``)
POLICY_STRENGTH: dict[str, int] = {"none": 0, "quarantine": 1, "reject": 2}
_REMOVED_TAGS = {"pct": "use t=y while testing instead", "rf": "failure reports use one format",
                 "ri": "receivers choose the aggregate interval"}
_KNOWN_TAGS = {"v", "p", "sp", "np", "adkim", "aspf", "pct", "rf", "ri", "rua", "ruf", "fo",
               "psd", "t"}


class Alignment(enum.StrEnum):
    """``adkim``/``aspf`` modes (RFC 7489 §3.1)."""

    RELAXED = "r"
    STRICT = "s"


@dataclass(frozen=True, kw_only=True)
class ReportUri:
    """One ``rua``/``ruf`` destination; ``address`` is the mailbox of a ``mailto:`` URI."""

    uri: str
    scheme: str
    address: str | None

    @property
    def domain(self) -> str | None:
        """The domain of a mailto: address, lower case."""
        if self.address is None or "@" not in self.address:
            return None
        return self.address.rpartition("@")[2].lower().rstrip(".")


@dataclass(frozen=True, kw_only=True)
class DmarcRecord:
    """A valid DMARC record. ``policy`` is ``p=`` (``none`` when RFC 9989 lets it be absent)."""

    text: str
    policy: str
    subdomain_policy: str | None
    nonexistent_policy: str | None
    adkim: Alignment
    aspf: Alignment
    pct: int
    testing: bool
    rua: tuple[ReportUri, ...]
    ruf: tuple[ReportUri, ...]
    notes: tuple[str, ...] = ()

    @property
    def effective_subdomain_policy(self) -> str:
        """``sp=`` when given, else ``p=`` (RFC 7489 §6.3)."""
        return self.subdomain_policy or self.policy


@dataclass(frozen=True, kw_only=True)
class DmarcProblem:
    """Why a record is not valid DMARC."""

    text: str
    message: str


@dataclass(frozen=True, kw_only=True)
class DmarcSelection:
    """The DMARC candidates in one TXT answer: ``records`` decoded, ``undecodable`` counted."""

    records: tuple[str, ...]
    undecodable: int = 0


def select_records(txt_records: Sequence[Sequence[bytes]]) -> DmarcSelection:
    """The records starting with ``v=DMARC1`` (RFC 7489 §6.6.3), strings joined (§6.3 note)."""
    found: list[str] = []
    undecodable = 0
    for strings in txt_records:
        raw = b"".join(strings)
        if not raw.lstrip().upper().startswith(b"V=DMARC1"):
            continue
        try:
            found.append(raw.decode("ascii"))
        except UnicodeDecodeError:
            undecodable += 1
    return DmarcSelection(records=tuple(found), undecodable=undecodable)


def _policy(tag: str, value: str) -> str | DmarcProblem:
    lowered = value.strip().lower()
    if lowered not in POLICY_STRENGTH:
        return DmarcProblem(text="", message=f"{tag}={value} is not none, quarantine or reject")
    return lowered


def _uris(tag: str, value: str) -> tuple[ReportUri, ...] | DmarcProblem:
    uris: list[ReportUri] = []
    for item in value.split(","):
        uri = item.strip()
        if not uri:
            continue
        # RFC 7489 §6.2: a URI may end in "!size"; the size limit is not part of the address.
        base = uri.split("!", 1)[0]
        scheme, colon, rest = base.partition(":")
        if not colon or not scheme:
            return DmarcProblem(text="", message=f"{tag}: {uri!r} is not a URI (write "
                                               f"{tag}=mailto:dmarc@example.com)")
        scheme = scheme.lower()
        address = unquote(rest) if scheme == "mailto" else None
        if scheme == "mailto" and (address is None or "@" not in address):
            return DmarcProblem(text="", message=f"{tag}: {uri!r} has no mail address")
        uris.append(ReportUri(uri=uri, scheme=scheme, address=address))
    return tuple(uris)


def parse_record(text: str) -> DmarcRecord | DmarcProblem:
    """Validate one DMARC record (RFC 7489 §6.3, §6.4; RFC 9989 where it differs)."""
    parts = [p.strip() for p in text.split(";")]
    tags: dict[str, str] = {}
    order: list[str] = []
    for part in parts:
        if not part:
            continue
        name, eq, value = part.partition("=")
        name = name.strip().lower()
        if not eq:
            return DmarcProblem(text=text, message=f"'{part}' is not tag=value")
        if name in tags:
            return DmarcProblem(text=text, message=f"tag '{name}' appears twice")
        tags[name] = value.strip()
        order.append(name)
    # §6.4: v=DMARC1 must be the first tag, exactly.
    if not order or order[0] != "v" or tags["v"] != "DMARC1":
        return DmarcProblem(text=text, message="the record must start with 'v=DMARC1;' "
                                             "(RFC 7489 §6.4)")
    notes: list[str] = []
    if "p" in tags:
        policy = _policy("p", tags["p"])
        if isinstance(policy, DmarcProblem):
            return DmarcProblem(text=text, message=policy.message)
    elif tags.get("rua"):
        # RFC 9989: a record without p= but with a valid rua is treated as p=none.
        policy = "none"
        notes.append("no p= tag: treated as p=none (RFC 9989); RFC 7489 receivers ignore "
                     "the whole record")
    else:
        return DmarcProblem(text=text, message="no p= tag: receivers ignore the record "
                                             "(RFC 7489 §6.3 requires p=)")
    sub: dict[str, str | None] = {"sp": None, "np": None}
    for tag in sub:
        if tag in tags:
            checked = _policy(tag, tags[tag])
            if isinstance(checked, DmarcProblem):
                return DmarcProblem(text=text, message=checked.message)
            sub[tag] = checked
    modes: dict[str, Alignment] = {}
    for tag in ("adkim", "aspf"):
        raw = tags.get(tag, "r").lower()
        if raw not in ("r", "s"):
            return DmarcProblem(text=text, message=f"{tag}={tags[tag]} is not r or s")
        modes[tag] = Alignment(raw)
    pct = 100
    if "pct" in tags:
        if not tags["pct"].isdigit() or not 0 <= int(tags["pct"]) <= 100:
            return DmarcProblem(text=text, message=f"pct={tags['pct']} is not 0-100")
        pct = int(tags["pct"])
    if "ri" in tags and not tags["ri"].isdigit():
        return DmarcProblem(text=text, message=f"ri={tags['ri']} is not a number of seconds")
    for tag in ("fo",):
        if tag in tags:
            options = [o.strip() for o in tags[tag].split(":")]
            bad = [o for o in options if o not in ("0", "1", "d", "s")]
            if bad:
                return DmarcProblem(text=text, message=f"fo={tags[tag]}: {', '.join(bad)} not "
                                                     "in 0, 1, d, s")
    testing = False
    if "t" in tags:
        if tags["t"].lower() not in ("y", "n"):
            return DmarcProblem(text=text, message=f"t={tags['t']} is not y or n")
        testing = tags["t"].lower() == "y"
    uris: dict[str, tuple[ReportUri, ...]] = {}
    for tag in ("rua", "ruf"):
        parsed = _uris(tag, tags.get(tag, ""))
        if isinstance(parsed, DmarcProblem):
            return DmarcProblem(text=text, message=parsed.message)
        uris[tag] = parsed
    for tag, advice in _REMOVED_TAGS.items():
        if tag in tags:
            notes.append(f"{tag}= was removed by RFC 9989 ({advice})")
    unknown = [t for t in order if t not in _KNOWN_TAGS]
    if unknown:
        notes.append(f"unknown tag(s) ignored by receivers: {', '.join(unknown)}")
    return DmarcRecord(text=text, policy=str(policy), subdomain_policy=sub["sp"],
                       nonexistent_policy=sub["np"], adkim=modes["adkim"], aspf=modes["aspf"],
                       pct=pct, testing=testing, rua=uris["rua"], ruf=uris["ruf"],
                       notes=tuple(notes))


@functools.cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def organizational_domain(domain: str) -> str:
    """The registrable domain of ``domain`` (RFC 7489 §3.2) from the bundled PSL."""
    name = domain.strip().rstrip(".").lower()
    found = _psl().privatesuffix(name)
    return str(found) if found else name


def aligned(a: str, b: str, mode: Alignment | str) -> bool:
    """Identifier alignment (RFC 7489 §3.1): strict = equal; relaxed = same org domain."""
    x, y = a.strip().rstrip(".").lower(), b.strip().rstrip(".").lower()
    if x == y:
        return True
    if Alignment(mode) is Alignment.STRICT:
        return False
    return organizational_domain(x) == organizational_domain(y)


def authorization_name(domain: str, destination: str) -> str:
    """Where ``destination`` authorises reports about ``domain`` (RFC 7489 §7.1)."""
    return f"{domain.rstrip('.').lower()}._report._dmarc.{destination.rstrip('.').lower()}"

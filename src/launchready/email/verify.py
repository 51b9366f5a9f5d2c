"""Authenticating one real message: its DKIM signatures, the SPF identity and DMARC alignment.

``read_message`` extracts what verification needs from the raw bytes of an ``.eml`` file: the
From domain(s), each DKIM-Signature's ``d=``/``s=``, the envelope sender (Return-Path), the
connecting IP and HELO name from the Received-SPF or topmost Received header.

``verify_signatures`` runs dkimpy over the message with a ``dnsfunc`` that answers from keys
already fetched through launchready's resolver, so the cryptography is a pure function of the
message and those answers. ``dmarc_outcome`` applies RFC 7489 §3.1 / §4.2: DMARC passes when an
SPF pass or a DKIM pass is aligned with the From domain (relaxed: same organisational domain;
strict: identical).
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import ipaddress
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

import dkim  # type: ignore[import-untyped]  # dkimpy ships no type hints

from launchready.email.dkim import parse_tags
from launchready.email.dmarc import Alignment, aligned

__all__ = [
    "DkimOutcome",
    "MessageFacts",
    "Signature",
    "dmarc_outcome",
    "read_message",
    "verify_signatures",
]

_BRACKET_IP = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")
_FROM_HELO = re.compile(r"^\s*from\s+(\S+)", re.IGNORECASE)
_CLIENT_IP = re.compile(r"client-ip=([0-9A-Fa-f:.]+)", re.IGNORECASE)
_HELO_TAG = re.compile(r"helo=([^\s;]+)", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Signature:
    """One DKIM-Signature header: its position and the tags that locate its key."""

    index: int
    domain: str
    selector: str
    algorithm: str
    problem: str | None = None

    @property
    def key_name(self) -> str:
        """Where the key lives."""
        return f"{self.selector}._domainkey.{self.domain}"


@dataclass(frozen=True, kw_only=True)
class MessageFacts:
    """What verification needs from one message."""

    from_domains: tuple[str, ...]
    signatures: tuple[Signature, ...]
    mail_from: str
    client_ip: str | None
    ip_source: str | None
    helo: str | None
    subject: str


@dataclass(frozen=True, kw_only=True)
class DkimOutcome:
    """One signature's result: pass, fail, temperror or permerror, with the reason."""

    signature: Signature
    result: str
    reason: str


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(">").rstrip(".").lower()


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def read_message(raw: bytes) -> MessageFacts:
    """Parse the headers of ``raw``; never raises for malformed mail."""
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw,
                                                                             headersonly=True)
    froms = [str(v) for v in message.get_all("From", [])]
    from_domains = tuple(dict.fromkeys(_domain_of(a) for _, a in email.utils.getaddresses(froms)
                                       if "@" in a))
    signatures: list[Signature] = []
    for index, value in enumerate(message.get_all("DKIM-Signature", [])):
        tags = parse_tags(re.sub(r"\r?\n[ \t]", " ", str(value)))
        if isinstance(tags, str):
            signatures.append(Signature(index=index, domain="", selector="", algorithm="",
                                        problem=f"the signature header does not parse: {tags}"))
            continue
        missing = [t for t in ("d", "s", "b", "bh", "h") if t not in tags]
        signatures.append(Signature(
            index=index, domain=tags.get("d", "").lower().rstrip("."),
            selector=tags.get("s", ""), algorithm=tags.get("a", ""),
            problem=f"missing tag(s) {', '.join(missing)} (RFC 6376 §3.5)" if missing else None))
    return_path = str(message.get("Return-Path", "") or "")
    mail_from = email.utils.parseaddr(return_path)[1]
    client_ip = helo = source = None
    received_spf = str(message.get("Received-SPF", "") or "")
    found = _CLIENT_IP.search(received_spf)
    if found and _ip(found.group(1)):
        client_ip, source = _ip(found.group(1)), "Received-SPF client-ip"
        helo_match = _HELO_TAG.search(received_spf)
        helo = helo_match.group(1) if helo_match else None
    if client_ip is None:
        for received in message.get_all("Received", []):
            text = re.sub(r"\s+", " ", str(received))
            for candidate in _BRACKET_IP.findall(text.split(" by ", 1)[0]):
                address = _ip(candidate)
                if address is not None:
                    client_ip, source = address, "topmost Received header"
                    helo_match = _FROM_HELO.match(text)
                    helo = helo_match.group(1) if helo_match else None
                    break
            break  # RFC 5321 §4.4: the topmost header was added by the receiving server
    return MessageFacts(from_domains=from_domains, signatures=tuple(signatures),
                        mail_from=mail_from, client_ip=client_ip, ip_source=source, helo=helo,
                        subject=str(message.get("Subject", "") or ""))


class _Keys:
    """dkimpy's ``dnsfunc``: answers from keys fetched beforehand, never from the network."""

    def __init__(self, keys: Mapping[str, bytes | None]) -> None:
        self._keys = {k.lower().rstrip("."): v for k, v in keys.items()}

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        return self._keys.get(name.decode("ascii", "replace").lower().rstrip("."))


def verify_signatures(raw: bytes, facts: MessageFacts, keys: Mapping[str, bytes | None],
                      temporary: Mapping[str, str]) -> tuple[DkimOutcome, ...]:
    """Verify each signature; ``keys`` maps key names to joined TXT bytes (None: absent),
    ``temporary`` maps key names whose lookup failed to the reason."""
    logger = logging.getLogger("launchready.dkim")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    dnsfunc = _Keys(keys)
    out: list[DkimOutcome] = []
    for signature in facts.signatures:
        if signature.problem is not None:
            out.append(DkimOutcome(signature=signature, result="permerror",
                                   reason=signature.problem))
            continue
        if signature.key_name.lower() in temporary:
            out.append(DkimOutcome(signature=signature, result="temperror",
                                   reason=temporary[signature.key_name.lower()]))
            continue
        if not keys.get(signature.key_name.lower()):
            out.append(DkimOutcome(signature=signature, result="permerror",
                                   reason=f"no key published at {signature.key_name}"))
            continue
        verifier = dkim.DKIM(raw, logger=logger, minkey=1024)
        try:
            ok = verifier.verify(idx=signature.index, dnsfunc=dnsfunc)
        except dkim.DKIMException as exc:
            text = str(exc)
            reason = ("body hash mismatch: the body was changed after signing"
                      if "body hash mismatch" in text else text)
            out.append(DkimOutcome(signature=signature, result="fail", reason=reason))
            continue
        out.append(DkimOutcome(signature=signature, result="pass" if ok else "fail",
                               reason="signature verified" if ok else
                               "signature does not verify with the published key (headers "
                               "changed after signing, or the key does not match)"))
    return tuple(out)


def dmarc_outcome(from_domain: str, dkim_results: tuple[DkimOutcome, ...], spf_result: str,
                  spf_domain: str, *, adkim: str = "r", aspf: str = "r"
                  ) -> tuple[bool, str]:
    """(passes, why) per RFC 7489 §4.2: an aligned SPF pass or an aligned DKIM pass."""
    reasons = []
    for item in dkim_results:
        if item.result != "pass":
            continue
        if aligned(item.signature.domain, from_domain, Alignment(adkim)):
            return True, f"DKIM d={item.signature.domain} passes and is aligned with From"
        reasons.append(f"DKIM d={item.signature.domain} passes but is not aligned with From "
                       f"{from_domain} ({'strict' if adkim == 's' else 'relaxed'})")
    if spf_result == "pass":
        if spf_domain and aligned(spf_domain, from_domain, Alignment(aspf)):
            return True, f"SPF passes for {spf_domain}, aligned with From"
        reasons.append(f"SPF passes for {spf_domain or '(no envelope sender)'} but is not "
                       f"aligned with From {from_domain}")
    if not reasons:
        reasons.append("neither DKIM nor SPF passed")
    return False, "; ".join(reasons)

"""Probes: the only code that touches the network, files of other programs, or the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from launchready.probes.files import ProjectFiles

if TYPE_CHECKING:
    # the probe modules pull in aiohttp, dnspython and cryptography: `launchready.probes.git`
    # alone must not pay for them
    from launchready.config.models import NetworkConfig
    from launchready.probes.dns import DnsProbe
    from launchready.probes.http import HttpProbe
    from launchready.probes.tls import TlsProbe


@dataclass
class Probes:
    """The probes one run shares, built from ``[network]``."""

    dns: DnsProbe
    http: HttpProbe
    tls: TlsProbe
    files: ProjectFiles = field(default_factory=ProjectFiles)

    @classmethod
    def from_network(cls, network: NetworkConfig) -> Probes:
        """Build every probe with the run's resolver, --resolve map, CA bundle and timeout."""
        from launchready.probes.dns import DnsProbe  # noqa: PLC0415 - see the imports above
        from launchready.probes.http import HttpProbe  # noqa: PLC0415
        from launchready.probes.tls import TlsProbe  # noqa: PLC0415

        mapping = network.resolve_map()
        dns = DnsProbe(resolver=network.resolver, timeout=min(network.timeout, 5.0), cache=True)
        # with an explicit resolver, HTTP and TLS resolve names through it too (SPEC §8)
        names = dns if network.resolver else None
        return cls(
            dns=dns,
            http=HttpProbe(resolve=mapping, ca_bundle=network.ca_bundle,
                           timeout=network.timeout, dns=names),
            tls=TlsProbe(ca_bundle=network.ca_bundle, resolve=mapping, timeout=network.timeout,
                         dns=names),
        )

    async def aclose(self) -> None:
        """Release connections."""
        await self.http.aclose()

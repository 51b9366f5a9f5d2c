"""Probes: the only code that touches the network, files of other programs, or the clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from launchready.probes.files import ProjectFiles

if TYPE_CHECKING:
    # the probe modules pull in aiohttp, dnspython and cryptography: `launchready.probes.git`
    # alone must not pay for them
    from launchready.config.models import NetworkConfig
    from launchready.probes.dns import DnsProbe
    from launchready.probes.http import HttpProbe
    from launchready.probes.tls import TlsProbe


class Probes:
    """The probes one run shares, built from ``[network]``.

    Each network probe is built on first use, so a run that never touches the network (a
    secret scan, ``env``) never loads aiohttp, dnspython or cryptography — a quarter of a
    second of start-up.
    """

    def __init__(self, *, network: NetworkConfig | None = None, dns: DnsProbe | None = None,
                 http: HttpProbe | None = None, tls: TlsProbe | None = None,
                 files: ProjectFiles | None = None) -> None:
        self._network = network
        self._dns = dns
        self._http = http
        self._tls = tls
        self.files = ProjectFiles() if files is None else files

    @classmethod
    def from_network(cls, network: NetworkConfig) -> Probes:
        """Probes using the run's resolver, --resolve map, CA bundle and timeout.

        A CA bundle that cannot be used is a config error at once, whether or not a check of
        this run goes on to connect anywhere.
        """
        if network.ca_bundle:
            from launchready.probes.trust import ssl_context  # noqa: PLC0415 - ssl only

            ssl_context(network.ca_bundle)
        return cls(network=network)

    def _config(self) -> NetworkConfig:
        if self._network is None:
            from launchready.config.models import NetworkConfig  # noqa: PLC0415 - see above

            self._network = NetworkConfig()
        return self._network

    @property
    def dns(self) -> DnsProbe:
        """The DNS probe (built on first use)."""
        if self._dns is None:
            from launchready.probes.dns import DnsProbe  # noqa: PLC0415 - see the imports above

            network = self._config()
            self._dns = DnsProbe(resolver=network.resolver, timeout=min(network.timeout, 5.0),
                                 cache=True)
        return self._dns

    def _names(self) -> DnsProbe | None:
        # with an explicit resolver, HTTP and TLS resolve names through it too (SPEC §8)
        return self.dns if self._config().resolver else None

    @property
    def http(self) -> HttpProbe:
        """The HTTP probe (built on first use)."""
        if self._http is None:
            from launchready.probes.http import HttpProbe  # noqa: PLC0415

            network = self._config()
            self._http = HttpProbe(resolve=network.resolve_map(), ca_bundle=network.ca_bundle,
                                   timeout=network.timeout, dns=self._names())
        return self._http

    @property
    def tls(self) -> TlsProbe:
        """The TLS probe (built on first use)."""
        if self._tls is None:
            from launchready.probes.tls import TlsProbe  # noqa: PLC0415

            network = self._config()
            self._tls = TlsProbe(ca_bundle=network.ca_bundle, resolve=network.resolve_map(),
                                 timeout=network.timeout, dns=self._names())
        return self._tls

    async def aclose(self) -> None:
        """Release connections (of the HTTP probe, when one was built)."""
        if self._http is not None:
            await self._http.aclose()

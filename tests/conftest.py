"""Suite-wide fixtures: real servers on loopback — the certificate zoo (HTTPS), nginx, an
authoritative DNS server (NSD), a private PostgreSQL, headless Chromium, the package built once
with its dependencies' wheels, and a guard that keeps in-process connections on the machine."""

from authdns import authdns_fixture
from browser import browser_fixture
from certzoo import cert_zoo_fixture
from netguard import loopback_only_fixture
from nginxharness import nginx_factory_fixture
from pgharness import postgres_fixture
from wheelhouse import built_package_fixture

__all__ = ["authdns_fixture", "browser_fixture", "built_package_fixture", "cert_zoo_fixture",
           "loopback_only_fixture", "nginx_factory_fixture", "postgres_fixture"]

"""Suite-wide fixtures: the certificate zoo and a private PostgreSQL (real servers, loopback)."""

from certzoo import cert_zoo_fixture
from pgharness import postgres_fixture

__all__ = ["cert_zoo_fixture", "postgres_fixture"]

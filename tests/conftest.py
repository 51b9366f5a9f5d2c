"""Suite-wide fixtures: the certificate zoo (real HTTPS servers on 127.0.0.1)."""

from certzoo import cert_zoo_fixture

__all__ = ["cert_zoo_fixture"]

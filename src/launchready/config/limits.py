"""Hard caps of the load engine, shared by the config schema and the engine itself.

A typo in a config (``rate = 50000``) must not turn a latency check into a denial-of-service
against someone's production: the config refuses values above these at load time and the
engine refuses them again at start (locust #254 and k6 #763 are the cautionary tales).
"""

from __future__ import annotations

MAX_RATE = 20_000.0  # requests per second, open model
MAX_CONCURRENCY = 1_000  # connections per endpoint
MAX_DURATION_S = 600.0  # one measured run, open model
MAX_REQUESTS = 1_000_000  # one measured run, closed model
MAX_TIMEOUT_S = 120.0  # one request

"""Deployment environment checks: the env contract (ENV001–ENV008) and outbound-call
timeouts in the app's code (PERF005)."""

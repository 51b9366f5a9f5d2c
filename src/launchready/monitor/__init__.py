"""The uptime monitor: scheduler, alert state machine, store, notifier, status page."""

"""Email authentication: SPF (RFC 7208) evaluation and record parsing.

``launchready.email.spf.check_host`` is the entry point; ``launchready.email.spf_parse`` holds the
pure record grammar used by linting checks.
"""

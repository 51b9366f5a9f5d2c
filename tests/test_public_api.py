"""The public surface of ``import launchready`` is pinned (SPEC §10): a change here is a
change of the library's contract, made on purpose."""

from __future__ import annotations

import launchready

PUBLIC = ["Config", "Finding", "Report", "Severity", "__version__", "arun_audit",
          "load_config", "run_audit"]


def test_all_is_pinned_and_every_name_resolves() -> None:
    assert sorted(launchready.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(launchready, name) is not None, name

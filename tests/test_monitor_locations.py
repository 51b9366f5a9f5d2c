"""Several locations, configuration: ``[monitor] locations``/``quorum``/``leader_lease``, a
check's own ``locations``, ``--location`` and the failover term of the time-to-alert check."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from launchready.checks.obs.coverage import coverage_of
from launchready.commands import monitor as monitor_command
from launchready.config.loader import load_config
from launchready.config.models import Config
from launchready.errors import ConfigError, UsageError
from launchready.monitor.timing import timing

PG = "postgresql://monitor@db.internal/launchready"
HOME = {"name": "home", "url": "https://app.example.com/"}
THREE = ["eu-west", "us-east", "ap-south"]


def _value(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(v)  # a JSON string or number is a TOML one


def _toml(cfg: dict[str, Any]) -> str:
    return "[monitor]\n" + "".join(f"{k} = {_value(v)}\n" for k, v in cfg["monitor"].items())


def _monitor(**over: Any) -> dict[str, Any]:
    return {"monitor": {"checks": [HOME], "database": PG, "locations": THREE, **over}}


def test_three_locations_on_postgresql_load() -> None:
    mon = Config.model_validate(_monitor(quorum=2, checks=[
        HOME, {"name": "api", "url": "https://api.example.com/", "locations": THREE[:2]}])).monitor
    assert mon is not None and mon.several_locations
    assert mon.check_locations(mon.checks[0]) == THREE
    assert mon.check_locations(mon.checks[1]) == THREE[:2]


def test_single_node_sqlite_is_unchanged() -> None:
    mon = Config.model_validate({"monitor": {"checks": [HOME]}}).monitor
    assert mon is not None
    assert mon.locations == [] and mon.quorum is None and not mon.several_locations
    assert mon.check_locations(mon.checks[0]) == []
    # one named location needs no shared store either
    one = Config.model_validate({"monitor": {"checks": [HOME], "locations": ["home"]}}).monitor
    assert one is not None and not one.several_locations


BAD = [
    ("several locations on SQLite", {"database": "sqlite:///m.db"},
     "monitor.database: 3 locations need a shared PostgreSQL store"),
    ("repeated location", {"locations": ["eu", "eu"]}, "monitor.locations must be unique"),
    ("location name with a space", {"locations": ["eu west", "us"]},
     "'eu west' is not a location name"),
    ("quorum above the locations", {"quorum": 4}, "monitor.quorum = 4 is more than the 3"),
    ("quorum zero", {"quorum": 0}, "greater than or equal to 1"),
    ("lease too short", {"leader_lease": "1s"}, "monitor.leader_lease must be at least 3s"),
    ("lease not a duration", {"leader_lease": "soon"}, "leader_lease"),
    ("check names an unknown location", {"checks": [{**HOME, "locations": ["mars"]}]},
     "'mars' not in monitor.locations (eu-west, us-east, ap-south)"),
    ("check probed from fewer than quorum", {"quorum": 2, "checks": [
        {**HOME, "locations": ["eu-west"]}]}, "fewer than monitor.quorum = 2"),
]


@pytest.mark.parametrize(("over", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_location_config_is_a_clear_config_error(tmp_path: Path, over: dict[str, Any],
                                                      message: str) -> None:
    toml = tmp_path / "launchready.toml"
    toml.write_text(_toml(_monitor(**over)))
    with pytest.raises(ConfigError) as caught:
        load_config(toml)
    assert message in str(caught.value)
    assert caught.value.key is not None and caught.value.key.startswith("monitor")


def test_check_locations_without_monitor_locations_is_refused() -> None:
    with pytest.raises(ValueError, match=r"needs \[monitor\] locations"):
        Config.model_validate({"monitor": {"checks": [{**HOME, "locations": ["eu"]}]}})


def test_failover_adds_the_leader_lease_to_the_time_to_alert() -> None:
    single = Config.model_validate({"monitor": {"checks": [HOME]}}).monitor
    several = Config.model_validate(_monitor()).monitor
    longer = Config.model_validate(_monitor(leader_lease="40s")).monitor
    assert single is not None and several is not None and longer is not None
    assert timing(single.checks[0], single).worst_time_to_alert == pytest.approx(83.0)
    assert timing(several.checks[0], several).worst_time_to_alert == pytest.approx(98.0)
    # 83 s + a 40 s lease is over the 2-minute budget: OBS003 and the daemon both say so
    assert timing(longer.checks[0], longer).worst_time_to_alert == pytest.approx(123.0)
    assert coverage_of(Config.model_validate(_monitor(leader_lease="40s"))).slow_checks == (
        ("home", pytest.approx(123.0)),)


def _args(toml: Path, action: str = "once", location: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(config=str(toml), action=action, database=None, no_web=True,
                              location=location, resolve=[], resolver=None, ca_bundle=None,
                              timeout=None, quiet=True, verbose=0)


def test_daemon_refuses_a_lease_that_breaks_the_budget(tmp_path: Path) -> None:
    toml = tmp_path / "launchready.toml"
    toml.write_text(_toml(_monitor(leader_lease="40s")))
    with pytest.raises(ConfigError, match=r"123s from outage to alert") as caught:
        monitor_command.run(_args(toml, location="eu-west"))
    assert caught.value.fix is not None and "leader_lease" in caught.value.fix


@pytest.mark.parametrize(("locations", "action", "given", "message"), [
    (THREE, "once", None, "--location is required: monitor.locations lists eu-west, us-east"),
    (THREE, "run", "mars", "--location 'mars' is not in monitor.locations (eu-west, us-east"),
    ([], "run", "eu-west", "--location 'eu-west': no [monitor] locations are configured"),
])
def test_location_argument_is_checked_against_the_list(
        tmp_path: Path, locations: list[str], action: str, given: str | None,
        message: str) -> None:
    over: dict[str, Any] = {"locations": locations}
    if not locations:
        over["database"] = "sqlite:///m.db"
    toml = tmp_path / "launchready.toml"
    toml.write_text(_toml(_monitor(**over)))
    with pytest.raises(UsageError) as caught:
        monitor_command.run(_args(toml, action=action, location=given))
    assert message in str(caught.value)


def test_location_defaults_to_the_only_one_and_is_optional_for_status() -> None:
    one = Config.model_validate({"monitor": {"checks": [HOME], "locations": ["home"]}})
    assert monitor_command.location_of(one, None, "run") == "home"
    three = Config.model_validate(_monitor())
    assert monitor_command.location_of(three, None, "status") is None
    assert monitor_command.location_of(three, "us-east", "run") == "us-east"
    single = Config.model_validate({"monitor": {"checks": [HOME]}})
    assert monitor_command.location_of(single, None, "run") is None

"""Config loading: the documented example, key-path errors, ${VAR} expansion and credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchready.config import load_config, load_config_text
from launchready.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "launchready.example.toml"
ENV = {"SMOKE_EMAIL": "demo@acme.test", "SMOKE_PASSWORD": "pw-from-env",
       "SLACK_ALERT_URL": "https://hooks.example.test/T000/B000/XXXX",
       "DATABASE_URL": "postgresql://u:dbpass@127.0.0.1/app"}


def spec_example() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def test_spec_example_loads() -> None:
    config = load_config_text(spec_example(), environ=ENV)
    assert config.app.canonical == "https://app.acme.example"
    assert [r.name for r in config.dns.records] == ["@", "www", "app"]  # type: ignore[union-attr]
    steps = config.smoke.steps  # type: ignore[union-attr]
    assert steps[0].json_body == {"email": "demo@acme.test", "password": "pw-from-env"}
    assert steps[2].json_body == {"name": "smoke-${RUN_ID}"}  # filled in at run time
    assert config.perf.endpoints[1].endpoint_class == "heavy"  # type: ignore[union-attr]
    assert config.literal_credentials == ()
    # credentials stay masked in reprs
    assert "hooks.example.test" not in repr(config.monitor)
    assert "dbpass" not in repr(config.database)


def test_arrays_of_tables_load_like_inline_arrays() -> None:
    inline = load_config_text('[dns]\nrecords = [{ name = "@", type = "A", values = ["1.2.3.4"] }]')
    tables = load_config_text('[[dns.records]]\nname = "@"\ntype = "A"\nvalues = ["1.2.3.4"]\n')
    assert inline.dns == tables.dns


@pytest.mark.parametrize(("text", "env", "needle"), [
    ('[app]\nnmae = "x"\n', {}, "app.nmae: unknown key"),
    ('[app]\ncanonical = 5\n', {}, "app.canonical"),
    ('[monitor]\ninterval = "soon"\n', {}, "monitor.interval"),
    ('[smoke]\n[[smoke.steps]]\nname = "a"\npath = "/"\nexpect = ["status = 200"]\n', {},
     "smoke.steps[0].expect[0]: bad expectation 'status = 200': unknown operator '='"),
    ('[database]\nurl = "${DATABASE_URL}"\n', {},
     "database.url: environment variable DATABASE_URL is not set"),
    ('[smoke]\n[[smoke.steps]]\nname = "a"\npath = "/"\njson = { password = "${PW}" }\n',
     {"PW": ""}, "environment variable PW is empty"),
    ('[monitor]\nchecks = [{ name = "files", url = "file:///etc/passwd" }]\n', {},
     "only http:// and https:// URLs"),
    ('[network]\nresolve = ["nohost"]\n', {}, "HOST:PORT:ADDR"),
    ("[app\n", {}, "not valid TOML"),
], ids=["unknown-key", "wrong-type", "bad-duration", "bad-expectation", "unset-var",
        "empty-credential", "file-scheme", "bad-resolve", "toml-syntax"])
def test_config_errors_name_the_key(text: str, env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, environ=env)
    assert needle in str(info.value)


def test_error_points_at_the_line() -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text('[app]\nname = "x"\n\n[monitor]\nintervall = "30s"\n', source="lr.toml")
    assert str(info.value).startswith("lr.toml:5: monitor.intervall: unknown key")


def test_dollar_escapes() -> None:
    config = load_config_text(
        '[smoke]\n[[smoke.steps]]\nname = "a"\npath = "/p$$q"\n'
        'json = { password = "${PW}", note = "cost $5" }\n', environ={"PW": "p@$$w0rd"})
    step = config.smoke.steps[0]  # type: ignore[union-attr]
    assert step.path == "/p$q"
    # the environment value is taken as is: no second round of expansion
    assert step.json_body == {"password": "p@$$w0rd", "note": "cost $5"}


def test_literal_credentials_are_recorded_by_path_only() -> None:
    config = load_config_text(
        '[smoke]\n[[smoke.steps]]\nname = "a"\npath = "/"\njson = { password = "hunter2" }\n'
        '[monitor]\nalerts = [{ url = "https://hooks.slack.com/services/T/B/secret" }]\n'
        '[database]\nurl = "postgresql://app:s3cret@db/app"\n')
    assert config.literal_credentials == ("smoke.steps[0].json.password",
                                          "monitor.alerts[0].url", "database.url")


def test_pyproject_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.launchready.app]\nname = "From pyproject"\n')
    assert load_config(cwd=tmp_path, environ={}).app.name == "From pyproject"


def test_missing_config_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="launchready init"):
        load_config(cwd=tmp_path, environ={})


def test_file_paths_are_read_next_to_the_config_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a config in deploy/ naming files relatively, loaded from the repository root
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    (deploy / "launchready.toml").write_text(
        '[network]\nca_bundle = "certs/ca.pem"\n'
        '[secrets]\nbaseline = ".launchready-baseline.json"\n'
        '[perf]\nbaseline = "perf.json"\nsave_baseline = "/abs/perf.json"\n'
        'endpoints = [{ name = "home", path = "/" }]\n'
        '[monitor]\nchecks = [{ name = "home", url = "https://acme.example/" }]\n'
        '[database]\nurl = "sqlite:///data/app.db"\nlog_file = "pg.log"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = load_config("deploy/launchready.toml", environ={})

    # Then every file the tool opens is the one beside the config, whatever the cwd
    assert config.base_dir == deploy
    assert config.network.ca_bundle == str(deploy / "certs" / "ca.pem")
    assert config.secrets.baseline == str(deploy / ".launchready-baseline.json")  # type: ignore[union-attr]
    assert config.perf.baseline == str(deploy / "perf.json")  # type: ignore[union-attr]
    assert config.perf.save_baseline == "/abs/perf.json"  # type: ignore[union-attr]
    # the monitor writes and OBS004 reads the same store
    assert config.monitor.database == f"sqlite:///{deploy / 'launchready.db'}"  # type: ignore[union-attr]
    assert config.database.url.get_secret_value() == f"sqlite:///{deploy / 'data' / 'app.db'}"  # type: ignore[union-attr]
    assert config.database.log_file == str(deploy / "pg.log")  # type: ignore[union-attr]
    # scan roots keep their spelling (reports show paths relative to them)
    assert config.secrets.paths == ["."]  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "seconds"), [
    ("500ms", 0.5), ("30s", 30.0), ("1.5m", 90.0), ("2h", 7200.0), ("30d", 2_592_000.0),
    (" 10s ", 10.0),
], ids=["ms", "s", "m", "h", "d", "spaces"])
def test_one_duration_grammar(text: str, seconds: float) -> None:
    from launchready.config.types import parse_duration

    assert parse_duration(text) == seconds


@pytest.mark.parametrize("key", ["app.canonical", "smoke.base_url", "perf.base_url"])
def test_url_keys_share_one_rule(key: str) -> None:
    # Given the same URL spelt with an upper-case scheme under each URL key
    section, name = key.split(".")
    extra = '\nendpoints = [{ name = "home", path = "/" }]' if section == "perf" else ""
    config = load_config_text(f'[{section}]\n{name} = "HTTPS://App.Acme.Example"{extra}\n')
    # Then every key accepts it and stores a lower-case scheme
    assert getattr(getattr(config, section), name) == "https://App.Acme.Example"
    with pytest.raises(ConfigError, match="only http:// and https://"):
        load_config_text(f'[{section}]\n{name} = "ftp://acme.example"{extra}\n')


@pytest.mark.parametrize(("text", "message"), [
    ('[smoke]\nsteps = [{ name = "a", path = "/" }, { name = "a", path = "/x" }]',
     "step names must be unique (they name findings and measurements); repeated: a"),
    ('[perf]\nendpoints = [{ name = "b", path = "/" }, { name = "b", path = "/y" }]',
     "endpoint names must be unique; repeated: b"),
    ('[monitor]\nchecks = [{ name = "c", url = "https://a.example" },'
     ' { name = "c", url = "https://b.example" }]',
     "monitor check names must be unique; repeated: c"),
], ids=["smoke-steps", "perf-endpoints", "monitor-checks"])
def test_repeated_names_are_refused_with_the_names(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config_text(text)


def test_smoke_and_perf_methods_may_be_written_in_lower_case() -> None:
    config = load_config_text('[smoke]\nsteps = [{ name = "a", path = "/", method = "post" }]\n'
                              '[perf]\nendpoints = [{ name = "b", path = "/", method = "head" }]')
    assert config.smoke.steps[0].method == "POST"  # type: ignore[union-attr]
    assert config.perf.endpoints[0].method == "HEAD"  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="method"):
        load_config_text('[smoke]\nsteps = [{ name = "a", path = "/", method = "brew" }]')

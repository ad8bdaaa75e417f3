"""The edge reader's settings: variables over a TOML file, bad values named by their variable, passwords never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from realname_codes.card_seal import new_seal_key
from realname_edge.cli import main
from realname_edge.config import ConfigError, load_config, masked_url

URL = "amqp://employer-7:s3cret-pw@broker.example:5672/edge"
KEY = new_seal_key()
READY = {"REALNAME_EDGE_AMQP_URL": URL, "REALNAME_EDGE_SEAL_KEY": KEY, "REALNAME_EDGE_EMPLOYER_ID": "employer-7",
         "HOME": "/home/clerk"}


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_with_nothing_set_the_simulator_reads_into_the_users_data_folder_with_the_documented_defaults() -> None:
    config = load_config({"HOME": "/home/clerk"}, windows=False)

    assert (config.driver, config.target, config.exchange) == ("simulator", "", "edge.events")
    assert config.spool_path == Path("/home/clerk/.local/share/realname-edge/spool.sqlite")
    assert (config.read_timeout, config.retry_seconds) == (5.0, 10.0)


def test_run_refuses_to_start_without_the_reader_account_its_sealing_key_and_employer_id() -> None:
    config = load_config({"HOME": "/home/clerk"}, windows=False)

    assert [problem.variable for problem in config.problems_for_run()] == [
        "REALNAME_EDGE_AMQP_URL", "REALNAME_EDGE_SEAL_KEY", "REALNAME_EDGE_EMPLOYER_ID"]
    with pytest.raises(ConfigError, match=r"REALNAME_EDGE_AMQP_URL is not set.*REALNAME_EDGE_SEAL_KEY is not set"
                                          r".*REALNAME_EDGE_EMPLOYER_ID is not set"):
        config.require_runnable()


def test_a_complete_configuration_is_runnable() -> None:
    load_config(READY, windows=False).require_runnable()


def test_the_serial_driver_needs_its_port_before_run_can_start() -> None:
    config = load_config(READY | {"REALNAME_EDGE_DRIVER": "sam-serial"}, windows=False)

    assert [problem.variable for problem in config.problems_for_run()] == ["REALNAME_EDGE_TARGET"]


def test_every_setting_is_read_from_its_variable() -> None:
    config = load_config(READY | {"REALNAME_EDGE_DRIVER": "sam-serial", "REALNAME_EDGE_TARGET": "COM3",
                                  "REALNAME_EDGE_EXCHANGE": "edge.cards", "REALNAME_EDGE_SPOOL": "/data/spool.db",
                                  "REALNAME_EDGE_READ_TIMEOUT": "2.5", "REALNAME_EDGE_RETRY_SECONDS": "30"},
                         windows=False)

    assert (config.driver, config.target, config.amqp_url, config.employer_id, config.exchange) == (
        "sam-serial", "COM3", URL, "employer-7", "edge.cards")
    assert (config.spool_path, config.read_timeout, config.retry_seconds) == (Path("/data/spool.db"), 2.5, 30.0)


def test_the_file_gives_settings_and_a_variable_that_is_set_wins_over_it(tmp_path: Path) -> None:
    path = _file(tmp_path, f'driver = "sam-serial"\ntarget = "/dev/ttyUSB0"\namqp_url = "{URL}"\n'
                           'employer_id = "employer-7"\nread_timeout = 3\nexchange = "from.file"\n')

    config = load_config({"REALNAME_EDGE_TARGET": "/dev/ttyUSB1", "REALNAME_EDGE_EXCHANGE": ""}, path,
                         windows=False)

    assert (config.driver, config.target, config.amqp_url, config.read_timeout) == (
        "sam-serial", "/dev/ttyUSB1", URL, 3.0)
    assert config.exchange == "from.file"  # an empty variable counts as not set


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_read_timeout_that_is_not_a_positive_number_is_named(value: str) -> None:
    with pytest.raises(ConfigError, match=rf"REALNAME_EDGE_READ_TIMEOUT must be a number of seconds above 0, "
                                          rf"not '{value}'"):
        load_config(READY | {"REALNAME_EDGE_READ_TIMEOUT": value})


def test_a_bad_value_in_the_file_names_the_variable_and_the_files_key(tmp_path: Path) -> None:
    path = _file(tmp_path, "retry_seconds = true\n")

    with pytest.raises(ConfigError, match=r"REALNAME_EDGE_RETRY_SECONDS \(retry_seconds in .*edge\.toml\)"):
        load_config({}, path)


def test_an_unknown_driver_is_refused_with_the_ones_there_are() -> None:
    with pytest.raises(ConfigError, match=r"REALNAME_EDGE_DRIVER must be one of .*sam-serial.*simulator.*'ss628'"):
        load_config({"REALNAME_EDGE_DRIVER": "ss628"})


@pytest.mark.parametrize("text, problem", [
    ("drivr = 'sam-serial'\n", r"unknown keys \['drivr'\]"),
    ("driver = \n", "not valid TOML"),
    ("target = 7\n", r"REALNAME_EDGE_TARGET \(target in .*\) must be a string"),
])
def test_a_file_with_a_typo_or_a_wrong_type_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load_config({}, _file(tmp_path, text))


def test_a_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the configuration file"):
        load_config({}, tmp_path / "absent.toml")


@pytest.mark.parametrize("url, problem", [
    ("amqp://broker.example:5672/edge", "must carry the employer's own broker user name and password"),
    ("amqp://employer-7@broker.example/edge", "must carry the employer's own broker user name and password"),
    ("http://employer-7:s3cret-pw@broker.example/", "must be amqp://USER:PASSWORD@HOST:5672/VHOST"),
    ("amqp://employer-7:s3cret-pw@broker.example:99999/", "is not a valid AMQP URL"),
    ("amqp://employer-7:s3cret-pw@broker.example/?heartbeat=often", "is not a valid AMQP URL"),
])
def test_a_broker_url_without_credentials_or_unusable_is_refused_without_showing_the_password(
        url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=f"REALNAME_EDGE_AMQP_URL.*{problem}") as caught:
        load_config({"REALNAME_EDGE_AMQP_URL": url})
    assert "s3cret-pw" not in str(caught.value)


@pytest.mark.parametrize("employer", ["employer 7", "-lead", "雇主", "x" * 129])
def test_an_employer_id_that_could_not_be_one_is_refused(employer: str) -> None:
    with pytest.raises(ConfigError, match="REALNAME_EDGE_EMPLOYER_ID must be"):
        load_config({"REALNAME_EDGE_EMPLOYER_ID": employer})


@pytest.mark.parametrize("url, shown", [
    (URL, "amqp://employer-7:***@broker.example:5672/edge"),
    ("amqps://u:p@ss@host/", "amqps://u:***@host/"),
    ("amqp://host:5672/%2F", "amqp://host:5672/%2F"),
    ("amqp://user@host/", "amqp://user@host/"),
    ("not a url", "not a url"),
])
def test_the_password_of_a_broker_url_is_masked(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_the_configurations_repr_masks_the_password() -> None:
    text = repr(load_config(READY))

    assert "s3cret-pw" not in text and "employer-7:***@broker.example" in text


@pytest.mark.parametrize("env, windows, spool", [
    ({"XDG_DATA_HOME": "/srv/data", "HOME": "/home/clerk"}, False, "/srv/data/realname-edge/spool.sqlite"),
    ({"XDG_DATA_HOME": "relative/data", "HOME": "/home/clerk"}, False,
     "/home/clerk/.local/share/realname-edge/spool.sqlite"),
    ({"LOCALAPPDATA": "/Users/clerk/AppData/Local"}, True, "/Users/clerk/AppData/Local/realname-edge/spool.sqlite"),
])
def test_the_spool_defaults_to_the_users_own_data_folder(env: dict[str, str], windows: bool, spool: str) -> None:
    assert load_config(env, windows=windows).spool_path == Path(spool)


def test_the_command_line_says_what_is_wrong_and_exits_2_on_a_bad_setting(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REALNAME_EDGE_RETRY_SECONDS", "-5")

    assert main(["doctor", "--skip-read"]) == 2
    assert "REALNAME_EDGE_RETRY_SECONDS must be a number of seconds above 0" in capsys.readouterr().err


def test_run_without_the_employers_broker_account_exits_2_naming_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for variable in ("REALNAME_EDGE_AMQP_URL", "REALNAME_EDGE_EMPLOYER_ID", "REALNAME_EDGE_DRIVER"):
        monkeypatch.delenv(variable, raising=False)

    assert main(["run"]) == 2
    assert "REALNAME_EDGE_AMQP_URL is not set" in capsys.readouterr().err


def test_a_sealing_key_that_is_not_one_is_refused_without_being_quoted() -> None:
    with pytest.raises(ConfigError, match="REALNAME_EDGE_SEAL_KEY is not the sealing key") as caught:
        load_config(READY | {"REALNAME_EDGE_SEAL_KEY": "my-secret-guess"})
    assert "my-secret-guess" not in str(caught.value)


def test_the_sealing_key_is_never_shown() -> None:
    assert KEY not in repr(load_config(READY, windows=False))

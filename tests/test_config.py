"""Configuration: the committed example is valid, env overrides the file, secrets stay out of it."""

from pathlib import Path

import pytest

from flows.config import load_settings, resolve_countries
from flows.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "exportwatch.example.toml"


def test_the_example_config_is_valid_and_matches_the_defaults():
    settings = load_settings(EXAMPLE)
    assert settings.watchlist.table == "51000-0004"
    assert resolve_countries(settings.watchlist.countries)[0] == "STLAH075"
    assert settings.model_dump() == load_settings(None).model_dump()


def test_environment_overrides_the_file(monkeypatch, tmp_path):
    monkeypatch.setenv("EXPORTWATCH_WATCHLIST__SINCE", "2015")
    monkeypatch.setenv("GENESIS_API_URL", "http://127.0.0.1:9/x/")
    monkeypatch.setenv("EXPORTWATCH_DB", str(tmp_path / "w.duckdb"))
    settings = load_settings(EXAMPLE)
    assert settings.watchlist.since == 2015
    assert settings.genesis.api_url == "http://127.0.0.1:9/x/"
    assert settings.warehouse.path == tmp_path / "w.duckdb"
    assert load_settings(EXAMPLE, db=tmp_path / "cli.duckdb").warehouse.path == tmp_path / "cli.duckdb"


def rule_toml(**fields: str) -> str:
    """An alert rule on the priority goods, with fields as TOML values (written verbatim)."""
    rule = {"name": '"chips"', "scope": '"priority_goods"', "countries": '["KG"]', "metric": '"index_2021"'}
    rule |= {"direction": '"above"', "threshold": "300"} | fields
    return "[[alerts.rules]]\n" + "".join(f"{key} = {value}\n" for key, value in rule.items())


def test_a_tier_written_as_a_toml_number_is_the_tier_of_that_name(tmp_path):
    for number, string in [("1", '"1"'), ("2", '"2"')]:
        (tmp_path / "number.toml").write_text(rule_toml(tier=number))
        (tmp_path / "string.toml").write_text(rule_toml(tier=string))
        [from_number] = load_settings(tmp_path / "number.toml").alerts.rules
        [from_string] = load_settings(tmp_path / "string.toml").alerts.rules
        assert from_number.tier == number
        assert from_number.fingerprint == from_string.fingerprint  # the same rule, the same alert state
    (tmp_path / "letter.toml").write_text(rule_toml(tier='"3.A"'))
    assert load_settings(tmp_path / "letter.toml").alerts.rules[0].tier == "3.A"


@pytest.mark.parametrize(
    "fields, expected",
    [
        (dict(tier="3"), "rule chips: unknown tier '3'; the list has tiers 1, 2, 3.A, 3.B, 4.A, 4.B"),
        (dict(tier="3.5"), "rule chips: unknown tier '3.5'; the list has tiers 1, 2, 3.A, 3.B, 4.A, 4.B"),
        (dict(tier='"one"'), "rule chips: unknown tier 'one'; the list has tiers 1, 2, 3.A, 3.B, 4.A, 4.B"),
        (dict(threshold="inf"), "alerts.rules.0.threshold: Input should be a finite number"),
        (dict(threshold="-inf"), "alerts.rules.0.threshold: Input should be a finite number"),
        (dict(threshold="nan"), "alerts.rules.0.threshold: Input should be a finite number"),
    ],
)
def test_an_unknown_tier_or_a_threshold_that_is_no_finite_number_is_named(tmp_path, fields, expected):
    path = tmp_path / "rule.toml"
    path.write_text(rule_toml(**fields))
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert expected in str(raised.value) and str(path) in str(raised.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[genesis]\npassword = 'x'\n", "genesis.password"),
        ("[watchlist]\nsince = 1900\n", "watchlist.since"),
        ("[watchlist\n", "Cannot read configuration file"),
        ("[genesis]\nfetch_task_retries = 2\n", "fetch_task_retries no longer exist"),
        ("[genesis]\nretry_budget_seconds = inf\n", "genesis.retry_budget_seconds"),
        ("[genesis]\nmax_retry_after_seconds = nan\n", "genesis.max_retry_after_seconds"),
        ("[genesis]\nscheduled_retry_budget_seconds = -1\n", "genesis.scheduled_retry_budget_seconds"),
        # Issue 13 #8: values that reach a request or a connection unchecked
        (
            '[[tables]]\ntable = "51000-0012"\ngoods = ["WA8703", "WA87 03; DROP"]\n',
            "tables.0.goods.1: Value error, a goods key is 1 to 32 letters and digits as GENESIS lists it (e.g. WA8703) "
            "or *, not 'WA87 03; DROP'",
        ),
        ('[[tables]]\ntable = "51000-0012"\ngoods = ["WA8703&job=true"]\n', "tables.0.goods.0"),
        ('[genesis]\napi_url = "file:///etc/passwd"\n', "genesis.api_url: Value error, must be an http:// or https://"),
        ("[genesis]\ntimeout_seconds = inf\n", "genesis.timeout_seconds: Input should be a finite number"),
    ],
)
def test_bad_files_are_named_with_the_problem(tmp_path, text, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert expected in str(raised.value) and str(path) in str(raised.value)


def test_countries_resolve_from_iso_or_stlah_in_order_without_duplicates():
    assert resolve_countries(["ru", "STLAH083", "RU", " kz "]) == ("STLAH075", "STLAH083", "STLAH079")
    with pytest.raises(ConfigError, match="Unknown country 'ZZ'"):
        resolve_countries(["ZZ"])

"""Which database a command uses: one per folder, chosen by the same rules everywhere,
said with its password hidden (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.cli.where import DatabaseChoiceError, choose, hide_password

URL = "postgresql://owner:s3cret@db.example:5432/touchpoint"


def test_a_folder_with_neither_database_uses_dot_touchpoint(tmp_path):
    chosen = choose(None, {}, tmp_path)

    assert chosen.data_dir == tmp_path / ".touchpoint"
    assert chosen.line == f"database: embedded PostgreSQL in {tmp_path}/.touchpoint (the default)"


def test_a_folder_with_only_the_demos_database_uses_it(tmp_path):
    (tmp_path / ".touchpoint-demo").mkdir()

    chosen = choose(None, {}, tmp_path)

    assert chosen.data_dir == tmp_path / ".touchpoint-demo"
    assert chosen.line == (
        f"database: embedded PostgreSQL in {tmp_path}/.touchpoint-demo "
        "(the demo's: no ./.touchpoint here)"
    )


def test_a_folder_with_both_databases_and_no_choice_is_refused(tmp_path):
    (tmp_path / ".touchpoint").mkdir()
    (tmp_path / ".touchpoint-demo").mkdir()

    with pytest.raises(DatabaseChoiceError) as refused:
        choose(None, {}, tmp_path)

    assert str(refused.value) == (
        "two databases here, ./.touchpoint and ./.touchpoint-demo: choose one with "
        "--data-dir .touchpoint or --data-dir .touchpoint-demo (or TOUCHPOINT_DATA_DIR)"
    )


@pytest.mark.parametrize("both", [True, False])
def test_data_dir_chooses_whatever_folders_exist(tmp_path, both):
    (tmp_path / ".touchpoint-demo").mkdir()
    if both:
        (tmp_path / ".touchpoint").mkdir()

    chosen = choose(Path(".touchpoint"), {}, tmp_path)

    assert chosen.data_dir == tmp_path / ".touchpoint"
    assert chosen.line.endswith("(--data-dir)")


def test_the_environment_variable_chooses_like_the_option(tmp_path):
    (tmp_path / ".touchpoint").mkdir()
    (tmp_path / ".touchpoint-demo").mkdir()

    chosen = choose(None, {"TOUCHPOINT_DATA_DIR": "elsewhere"}, tmp_path)

    assert chosen.data_dir == tmp_path / "elsewhere"


def test_the_demo_uses_its_own_folder_even_beside_a_real_ledger(tmp_path):
    (tmp_path / ".touchpoint").mkdir()

    chosen = choose(None, {}, tmp_path, demo=True)

    assert chosen.data_dir == tmp_path / ".touchpoint-demo"


def test_a_configured_url_is_said_with_its_password_hidden(tmp_path):
    chosen = choose(None, {"TOUCHPOINT_DATABASE_URL": URL}, tmp_path)

    assert chosen.data_dir is None
    assert chosen.line == (
        "database: postgresql://owner:***@db.example:5432/touchpoint (TOUCHPOINT_DATABASE_URL)"
    )


def test_a_folder_and_a_url_together_are_refused(tmp_path):
    with pytest.raises(DatabaseChoiceError, match="--data-dir names an embedded database"):
        choose(Path("x"), {"TOUCHPOINT_RUNTIME_URL": URL}, tmp_path)


def test_a_key_value_connection_string_hides_its_password_too():
    hidden = hide_password("host=db user=owner password='a b' dbname=touchpoint")

    assert hidden == "host=db user=owner password=*** dbname=touchpoint"


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789%!~", min_size=4, max_size=20))
def test_no_password_survives_in_what_is_said(password):
    url = f"postgresql://owner:{password}@db.example:5432/touchpoint"

    assert password not in hide_password(url).removeprefix("postgresql://owner:")

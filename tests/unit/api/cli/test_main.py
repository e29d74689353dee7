"""The ``touchpoint`` command: its help lists every command without importing them, and
the table it lists them from is the commands the modules register (issue 17)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib.metadata import version

import pytest
import typer
from typer.testing import CliRunner

from api.cli.main import COMMANDS, build_app

app = build_app()


def _registered(module: str) -> set[str]:
    holder = typer.Typer()
    importlib.import_module(f"api.cli.{module}").register(holder)
    return set(typer.main.get_group(holder).commands)


def test_the_lazy_table_names_exactly_the_commands_the_modules_register():
    modules = {module for module, _ in COMMANDS.values()}
    registered = {name: module for module in modules for name in _registered(module)}

    assert registered == {name: module for name, (module, _) in COMMANDS.items()}


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_every_command(flag):
    result = CliRunner().invoke(app, [flag])

    assert result.exit_code == 0
    for name in COMMANDS:
        assert f" {name} " in result.output


def test_version_prints_the_installed_version():
    result = CliRunner().invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.output == f"touchpoint {version('touchpoint')}\n"


def test_help_imports_no_command_module_nor_the_database_stack():
    probe = (
        "import sys; from api.cli.main import main; sys.argv = ['touchpoint', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('api.cli.audit', 'api.bootstrap', 'sqlalchemy', 'psycopg', "
        "'fastapi') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert "HEAVY []" in done.stderr


def test_shell_completion_is_offered():
    result = CliRunner().invoke(app, ["--show-completion", "bash"], env={"SHELL": "/bin/bash"})

    assert result.exit_code == 0
    assert "_TOUCHPOINT_COMPLETE" in result.output

"""CI reads pip-audit's report (.ci/audit_report.py): vulnerabilities fail, gaps are loud."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def audit():
    spec = importlib.util.spec_from_file_location("audit_report", ROOT / ".ci" / "audit_report.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_known_vulnerability_fails_and_is_named(audit, capsys):
    deps = [
        {"name": "clean", "version": "1.0", "vulns": []},
        {"name": "bad", "version": "2.0", "vulns": [{"id": "PYSEC-2026-1"}]},
    ]

    assert audit.verdict(deps) == 1
    assert "VULNERABLE: bad==2.0: PYSEC-2026-1" in capsys.readouterr().out


def test_every_package_audited_and_clean_passes(audit):
    assert audit.verdict([{"name": "clean", "version": "1.0", "vulns": []}]) == 0


@pytest.mark.parametrize(("required", "code"), [("0", 0), ("1", 1)])
def test_an_unaudited_package_is_announced_and_fatal_only_when_required(
    audit, capsys, monkeypatch, required, code
):
    monkeypatch.setenv("TOUCHPOINT_REQUIRE_AUDIT", required)
    deps = [{"name": "dark", "skip_reason": "not found"}]

    assert audit.verdict(deps) == code
    assert "NOT AUDITED" in capsys.readouterr().out


def test_no_report_at_all_is_not_a_clean_audit(audit, tmp_path, monkeypatch):
    monkeypatch.setenv("TOUCHPOINT_REQUIRE_AUDIT", "1")
    empty = tmp_path / "report.json"
    empty.write_text("")

    assert audit.verdict(audit.load(empty)) == 1


def test_the_lock_file_is_read_name_by_normalised_name(audit, tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("# pinned\njsonschema_rs==0.60.3\nPyYAML==6.0.3 ; python_version >= '3.11'\n")

    assert audit.locked_versions(lock) == {"jsonschema-rs": "0.60.3", "pyyaml": "6.0.3"}

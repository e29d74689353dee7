"""Read pip-audit's JSON report: fail on a known vulnerability, never pass in silence.

pip-audit asks PyPI's per-release JSON API (``/pypi/NAME/VERSION/json``) for each
locked package's advisories and exits 0 when it could not fetch them ("could not be
audited"), so a vulnerability database out of reach would look like a clean audit.
Some PyPI mirrors and proxies (this machine's included) answer only the
per-project document (``/pypi/NAME/json``), whose ``vulnerabilities`` are those of
the project's latest release. For a package pip-audit skipped, that document is
read instead, and trusted only when the locked version *is* the latest release.
Whatever is still unaudited is announced loudly ("NOT AUDITED"), and is fatal when
TOUCHPOINT_REQUIRE_AUDIT=1.

Exit codes: 0 audited and clean (or not audited, announced); 1 a known
vulnerability, or not audited while TOUCHPOINT_REQUIRE_AUDIT=1.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

PROJECT_JSON = "https://pypi.org/pypi/{name}/json"


def load(path: Path) -> list[dict[str, Any]]:
    """The report's dependencies ([] when pip-audit wrote no report at all)."""
    try:
        report = json.loads(path.read_text() or "{}")
    except (OSError, json.JSONDecodeError):
        return []
    return list(report.get("dependencies", []))


def locked_versions(lock: Path) -> dict[str, str]:
    """``name -> version`` of every ``name==version`` line of the lock file."""
    versions = {}
    for line in lock.read_text().splitlines():
        requirement = line.split("#", 1)[0].split(";", 1)[0].strip()
        if "==" in requirement:
            name, version = requirement.split("==", 1)
            versions[normal(name)] = version.strip()
    return versions


def normal(name: str) -> str:
    """A package name as PyPI compares them (PEP 503)."""
    return name.strip().lower().replace("_", "-").replace(".", "-")


def project_advisories(name: str, version: str) -> list[str] | None:
    """Advisory ids of ``name==version`` from the per-project document; None if unknown."""
    try:
        with urllib.request.urlopen(PROJECT_JSON.format(name=name), timeout=20) as answer:
            project = json.load(answer)
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError):
        return None
    if project.get("info", {}).get("version") != version:
        return None  # the advisories listed are another release's
    return [
        vuln["id"] for vuln in project.get("vulnerabilities") or [] if not vuln.get("withdrawn")
    ]


def fill_in(dependencies: list[dict[str, Any]], versions: dict[str, str]) -> None:
    """Audit the packages pip-audit skipped from the per-project document, where it can."""
    for dep in dependencies:
        version = versions.get(normal(dep["name"]))
        if not dep.get("skip_reason") or version is None:
            continue
        ids = project_advisories(dep["name"], version)
        if ids is not None:
            del dep["skip_reason"]
            dep["version"] = version
            dep["vulns"] = [{"id": vuln_id} for vuln_id in ids]


def verdict(dependencies: list[dict[str, Any]]) -> int:
    """Print the findings; the exit code."""
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    skipped = [dep for dep in dependencies if dep.get("skip_reason")]
    for dep in vulnerable:
        ids = ", ".join(vuln["id"] for vuln in dep["vulns"])
        print(f"VULNERABLE: {dep['name']}=={dep['version']}: {ids}")
    audited = len(dependencies) - len(skipped)
    print(f"pip-audit: {audited} of {len(dependencies)} locked packages audited")
    if vulnerable:
        return 1
    if dependencies and not skipped:
        print("pip-audit: no known vulnerabilities")
        return 0
    names = ", ".join(dep["name"] for dep in skipped) or "every package (no report)"
    print("!" * 78)
    print("!! NOT AUDITED: no advisory data for the locked version of:")
    print(f"!! {names}")
    print("!! This is not a clean audit. Set TOUCHPOINT_REQUIRE_AUDIT=1 to make it fatal.")
    print("!" * 78)
    return 1 if os.environ.get("TOUCHPOINT_REQUIRE_AUDIT") == "1" else 0


def main(report: Path, lock: Path) -> int:
    dependencies = load(report)
    fill_in(dependencies, locked_versions(lock))
    return verdict(dependencies)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))

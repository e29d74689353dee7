"""Read pip-audit's JSON report: fail on a known vulnerability, never pass in silence.

pip-audit exits 0 when it could not fetch a package's advisories ("could not be
audited"), so a vulnerability database out of reach looks like a clean audit.
This script says so loudly ("NOT AUDITED"), and fails then too when
TOUCHPOINT_REQUIRE_AUDIT=1.

Exit codes: 0 audited and clean (or not audited, announced); 1 a known
vulnerability, or not audited while TOUCHPOINT_REQUIRE_AUDIT=1.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def load(path: Path) -> list[dict[str, Any]]:
    """The report's dependencies ([] when pip-audit wrote no report at all)."""
    try:
        report = json.loads(path.read_text() or "{}")
    except (OSError, json.JSONDecodeError):
        return []
    return list(report.get("dependencies", []))


def main(path: Path) -> int:
    dependencies = load(path)
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
    print("!! NOT AUDITED: the vulnerability database could not be reached for:")
    print(f"!! {names}")
    print("!! This is not a clean audit. Set TOUCHPOINT_REQUIRE_AUDIT=1 to make it fatal.")
    print("!" * 78)
    return 1 if os.environ.get("TOUCHPOINT_REQUIRE_AUDIT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

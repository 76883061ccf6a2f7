"""pip-audit over the venv: every installed distribution (the pins in pyproject.toml and what they
pull in), shegong itself excepted.

pip-audit answers "No known vulnerabilities found" and exits 0 even when it could not look a
single package up (no network, or a PyPI mirror without the per-version JSON API, which is where
the vulnerability data lives). This tells the three cases apart, with the last line a summary:

  exit 0  every dependency checked, none known vulnerable
  exit 1  known vulnerabilities (each listed with the versions that fix it)
  exit 2  BLOCKED: some or all dependencies could not be checked (nothing is known either way)
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

VENV = Path(__file__).resolve().parent.parent / ".venv"
EDITABLE = "distribution marked as editable"


def main() -> int:
    command = [
        str(VENV / "bin" / "pip-audit"),
        "--skip-editable",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        *sys.argv[1:],  # e.g. --vulnerability-service osv
    ]
    try:
        # The venv's own pip-audit, fixed arguments.
        run = subprocess.run(command, capture_output=True, text=True, timeout=900)  # noqa: S603
    except subprocess.TimeoutExpired:
        print("pip-audit: BLOCKED — no answer from the vulnerability service in 15 minutes")
        return 2
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        # pip-audit stops with a traceback when the service cannot be reached at all.
        print(run.stderr.strip()[-2000:])
        print(f"pip-audit: BLOCKED — it stopped (exit {run.returncode}) without a report")
        return 2

    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    unchecked = [d for d in dependencies if d.get("skip_reason", EDITABLE) != EDITABLE]
    checked = (
        len(dependencies)
        - len(unchecked)
        - sum(1 for d in dependencies if d.get("skip_reason") == EDITABLE)
    )
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            aliases = ", ".join(vuln.get("aliases") or [])
            print(
                f"VULNERABLE {dependency['name']}=={dependency['version']}: {vuln['id']}"
                f"{f' ({aliases})' if aliases else ''} — fixed in {fixed}"
            )
    if unchecked:
        reasons = Counter(d["skip_reason"].split(":")[0] for d in unchecked)
        for reason, count in reasons.most_common():
            print(f"not checked ({count}): {reason}")
        print("not checked:", ", ".join(d["name"] for d in unchecked))
    if vulnerable:
        print(
            f"pip-audit: FAILED — {len(vulnerable)} vulnerable dependencies"
            f" ({checked} checked, {len(unchecked)} not checked)"
        )
        return 1
    if unchecked:
        rest = f"; the {checked} checked have no known vulnerabilities" if checked else ""
        print(
            f"pip-audit: BLOCKED — {len(unchecked)} of {len(unchecked) + checked} dependencies"
            f" not checked (vulnerability data unreachable){rest}"
        )
        return 2
    print(f"pip-audit: ok — {checked} dependencies checked, no known vulnerabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())

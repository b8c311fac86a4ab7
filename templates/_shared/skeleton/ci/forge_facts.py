"""Reports CI and scan results to Forge, where the compliance scorecard reads them as facts.

Usage:
  python3 ci/forge_facts.py scans --trivy trivy.json --gitleaks gitleaks.json
  python3 ci/forge_facts.py ci --status success
  python3 ci/forge_facts.py check --trivy trivy.json --gitleaks gitleaks.json

FORGE_URL (e.g. https://forge.example.com) and FORGE_TOKEN come from the environment; without them the results are
printed and nothing is sent. Standard library only, so it runs on any CI image with Python 3.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def entity_path() -> str:
    """kind/namespace/name of the first entity in catalog-info.yaml (the project's Component)."""
    text = (ROOT / "catalog-info.yaml").read_text(encoding="utf-8")
    first = re.split(r"^---\s*$", text, flags=re.MULTILINE)[0]
    kind = re.search(r"^kind:\s*(\S+)", first, flags=re.MULTILINE)
    name = re.search(r"^metadata:\s*\n(?:\s+.*\n)*?\s+name:\s*(\S+)", first, flags=re.MULTILINE)
    namespace = re.search(r"^\s+namespace:\s*(\S+)", first, flags=re.MULTILINE)
    if not kind or not name:
        raise SystemExit("catalog-info.yaml has no kind or metadata.name")
    return f"{kind.group(1).lower()}/{namespace.group(1) if namespace else 'default'}/{name.group(1)}"


def trivy_counts(path: str) -> dict[str, int]:
    counts = {"critical": 0, "high": 0, "medium": 0, "low": 0, "misconfigurations": 0}
    report = json.loads(Path(path).read_text(encoding="utf-8")) if Path(path).exists() else {}
    for result in report.get("Results") or []:
        for vulnerability in result.get("Vulnerabilities") or []:
            severity = str(vulnerability.get("Severity", "")).lower()
            if severity in counts:
                counts[severity] += 1
        counts["misconfigurations"] += len(result.get("Misconfigurations") or [])
    return counts


def gitleaks_count(path: str) -> int:
    if not Path(path).exists():
        return 0
    findings = json.loads(Path(path).read_text(encoding="utf-8") or "[]")
    return len(findings)


def post(name: str, data: dict) -> None:
    fact = {
        "name": name,
        # UTC to the second, as the policies' timestamp() reads it (isoformat() adds microseconds and +00:00).
        "collectedAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": os.environ.get("CI_PIPELINE_URL") or os.environ.get("GITHUB_RUN_ID") or "ci",
        "data": data,
    }
    url, token = os.environ.get("FORGE_URL"), os.environ.get("FORGE_TOKEN")
    if not url or not token:
        print(f"FORGE_URL or FORGE_TOKEN not set; not reporting {json.dumps(fact)}")
        return
    request = urllib.request.Request(
        f"{url.rstrip('/')}/api/compliance/facts/{entity_path()}",
        data=json.dumps(fact).encode("utf-8"),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        print(f"reported {name} to Forge: HTTP {response.status}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in ("scans", "check"):
        p = sub.add_parser(command)
        p.add_argument("--trivy", default="trivy.json")
        p.add_argument("--gitleaks", default="gitleaks.json")
    ci = sub.add_parser("ci")
    ci.add_argument("--status", required=True, help="the test job's result (success, failure, ...)")
    args = parser.parse_args(argv)

    if args.command == "ci":
        post("ci", {"status": "passing" if args.status == "success" else "failing"})
        return 0
    counts = trivy_counts(args.trivy)
    leaks = gitleaks_count(args.gitleaks)
    if args.command == "scans":
        post("dependency-scan", counts)
        post("secret-scan", {"leaks": leaks})
        return 0
    print(f"critical vulnerabilities: {counts['critical']}, high: {counts['high']}, leaked secrets: {leaks}")
    return 1 if counts["critical"] or leaks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The alert rules, checked and unit-tested by promtool (Debian's `prometheus` package)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

RULES = Path(__file__).resolve().parent.parent / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    found = shutil.which("promtool")
    assert found, "promtool is needed: apt-get install prometheus (.ci/run installs it)"
    return subprocess.run([found, *args], capture_output=True, text=True, check=False, cwd=RULES)


def test_rules_are_valid() -> None:
    checked = promtool("check", "rules", "kinetria-alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 10 rules found" in checked.stdout


def test_each_alert_fires_and_stays_quiet_as_its_tests_say() -> None:
    tested = promtool("test", "rules", "kinetria-alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_test_and_a_runbook() -> None:
    import yaml

    rules = yaml.safe_load((RULES / "kinetria-alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((RULES / "kinetria-alerts.test.yml").read_text())
    tested = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"]}
    fired = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert alerts == tested == fired
    readme = (RULES.parent.parent / "README.md").read_text()
    for alert in alerts:
        assert f"#### {alert}" in readme, f"{alert} has no runbook in the README"

"""The deadline-check deployment runs at the deadline the settings define."""

from __future__ import annotations

import yaml

from jzplan.core.settings import Settings
from tests.conftest import REPO_ROOT


def test_deadline_check_cron_matches_the_configured_deadline() -> None:
    deployments = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    [check] = [d for d in deployments["deployments"] if d["name"] == "deadline-check"]
    [schedule] = check["schedules"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (minute, int(hour), int(day), month, weekday) == (
        "0",
        s.submission_deadline_hour,
        s.submission_deadline_day,
        "*",
        "*",
    )
    assert schedule["timezone"] == s.timezone == "Asia/Shanghai"


def test_deadline_reminder_cron_matches_the_configured_reminder_time() -> None:
    deployments = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    [reminder] = [d for d in deployments["deployments"] if d["name"] == "deadline-reminder"]
    [schedule] = reminder["schedules"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (minute, int(hour), int(day), month, weekday) == (
        "0", s.reminder_hour, s.reminder_day, "*", "*",
    )  # fmt: skip
    assert (s.reminder_day, s.reminder_hour) == (3, 9)  # the default: the 3rd, 09:00
    assert schedule["timezone"] == s.timezone == "Asia/Shanghai"
    # before the deadline it reminds of
    assert (s.reminder_day, s.reminder_hour) < (
        s.submission_deadline_day,
        s.submission_deadline_hour,
    )

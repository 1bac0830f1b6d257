"""The coverage settings: MULU_COVERAGE_TARGET (0 < x ≤ 1) and MULU_COVERAGE_TARGET_DATE (an ISO date)."""

from __future__ import annotations

from datetime import date

import pytest

from catalog.config import Settings, SettingsError


def test_defaults_are_the_plans():
    settings = Settings.from_env({})
    assert settings.coverage_target == 0.8 and settings.coverage_target_date == date(2010, 12, 31)


@pytest.mark.parametrize(("raw", "value"), [("1", 1.0), (" 0.65 ", 0.65), ("", 0.8)])
def test_good_targets(raw, value):
    assert Settings.from_env({"MULU_COVERAGE_TARGET": raw}).coverage_target == value


@pytest.mark.parametrize("raw", ["0", "-0.1", "1.01", "80%", "eighty"])
def test_bad_targets_name_the_variable(raw):
    with pytest.raises(SettingsError, match="MULU_COVERAGE_TARGET"):
        Settings.from_env({"MULU_COVERAGE_TARGET": raw})


@pytest.mark.parametrize("raw", ["2010-13-01", "31/12/2010", "soon"])
def test_bad_target_dates_name_the_variable(raw):
    with pytest.raises(SettingsError, match="MULU_COVERAGE_TARGET_DATE"):
        Settings.from_env({"MULU_COVERAGE_TARGET_DATE": raw})

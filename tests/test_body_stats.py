"""GET /v1/stats/body: each kind's measurements and 7-day moving average over local days,
in metric units whatever the unit entered, only the caller's, with ranges checked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from tests.api import UserWithToken, assert_error

STATS = "/v1/stats/body"


def record(user: UserWithToken, kind: str, value: float, at: str, **fields: Any) -> str:
    response = user.post(
        "/v1/body-measurements", json={"kind": kind, "value": value, "measured_at": at, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_series_with_raw_values_and_the_7_day_moving_average(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann, bob = make_user(), make_user()
    record(ann, "body_weight", 78, "2026-10-28T07:00:00Z")  # before the range: counts in averages
    first = record(ann, "body_weight", 80, "2026-11-01T07:00:00Z")
    second = record(ann, "body_weight", 81, "2026-11-01T19:00:00Z")  # same day: one daily mean
    pounds = record(ann, "body_weight", 180, "2026-11-03T07:00:00Z", unit="lb")
    last = record(ann, "body_weight", 79, "2026-11-10T07:00:00Z")
    waist = record(ann, "waist", 33.5, "2026-11-02T07:00:00Z", unit="in")
    record(ann, "body_weight", 90, "2026-11-11T07:00:00Z")  # after the range
    record(bob, "body_weight", 120, "2026-11-02T07:00:00Z")  # someone else's
    response = ann.get(f"{STATS}?from=2026-11-01&to=2026-11-10&tz=UTC")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["tz"], report["from"], report["to"]) == ("UTC", "2026-11-01", "2026-11-10")
    weight, girth = report["series"]  # in kind order
    assert (weight["kind"], weight["unit"], girth["kind"], girth["unit"]) == (
        "body_weight",
        "kg",
        "waist",
        "cm",
    )
    assert [(p["id"], p["date"], p["value"]) for p in weight["measurements"]] == [
        (first, "2026-11-01", 80),
        (second, "2026-11-01", 81),
        (pounds, "2026-11-03", 81.6466266),  # 180 lb, exactly, in kg
        (last, "2026-11-10", 79),
    ]
    assert weight["measurements"][0]["measured_at"].startswith("2026-11-01T07:00:00")
    averages = [(a["date"], a["value"], a["days"]) for a in weight["moving_average_7d"]]
    assert averages == [
        ("2026-11-01", 79.25, 2),  # 78 (Oct 28) and the mean of the 1st (80.5)
        ("2026-11-02", 79.25, 2),
        ("2026-11-03", 80.049, 3),  # 78, 80.5, 81.6466266
        ("2026-11-04", 81.073, 2),  # Oct 28 has left the window
        ("2026-11-05", 81.073, 2),
        ("2026-11-06", 81.073, 2),
        ("2026-11-07", 81.073, 2),
        ("2026-11-08", 81.647, 1),
        ("2026-11-09", 81.647, 1),
        ("2026-11-10", 79, 1),
    ]
    assert [(p["id"], p["value"]) for p in girth["measurements"]] == [(waist, 85.09)]
    assert [(a["date"], a["value"]) for a in girth["moving_average_7d"]] == [
        (f"2026-11-0{d}", 85.09) for d in range(2, 9)
    ]
    only = ann.get(f"{STATS}?from=2026-11-01&to=2026-11-10&kind=waist").json()
    assert [s["kind"] for s in only["series"]] == ["waist"]
    assert (
        bob.get(f"{STATS}?from=2026-11-01&to=2026-11-10").json()["series"][0]["measurements"][0][
            "value"
        ]
        == 120
    )


def test_local_days_follow_tz(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    record(ann, "body_fat", 20, "2026-11-05T23:30:00Z")  # the 6th in Tokyo
    tokyo = ann.get(f"{STATS}?from=2026-11-06&to=2026-11-06&tz=Asia/Tokyo").json()
    assert [p["date"] for p in tokyo["series"][0]["measurements"]] == ["2026-11-06"]
    assert tokyo["series"][0]["unit"] == "percent"
    utc = ann.get(f"{STATS}?from=2026-11-06&to=2026-11-06&tz=UTC").json()
    # in UTC it is the 5th: outside the range, but the 6th's average still counts it
    assert utc["series"][0]["measurements"] == []
    assert utc["series"][0]["moving_average_7d"] == [{"date": "2026-11-06", "value": 20, "days": 1}]


def test_the_default_range_is_the_last_90_days(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    assert ann.get(STATS).json()["series"] == []
    created = ann.post("/v1/body-measurements", json={"kind": "neck", "value": 39}).json()
    report = ann.get(STATS).json()
    today = date.fromisoformat(report["to"])
    assert date.fromisoformat(report["from"]) == today - timedelta(days=89)
    assert report["series"][0]["measurements"][0]["id"] == created["id"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from=2026-11-10&to=2026-11-01", "invalid_range"),
        ("from=2024-01-01&to=2026-01-01", "range_too_large"),
        ("tz=Mars/Base", "unknown_time_zone"),
        ("kind=weight", "validation_error"),
        ("from=yesterday", "validation_error"),
        ("tz=" + "x" * 65, "validation_error"),
    ],
)
def test_bad_queries_are_400(
    make_user: Callable[..., UserWithToken], query: str, code: str
) -> None:
    ann = make_user()
    assert_error(ann.get(f"{STATS}?{query}"), 400, code)


def test_a_range_of_two_years_is_allowed(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    record(ann, "body_weight", 70, "2024-06-01T07:00:00Z")
    report = ann.get(f"{STATS}?from=2024-01-01&to=2025-12-31").json()
    assert len(report["series"][0]["moving_average_7d"]) == 7

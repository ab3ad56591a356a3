"""Body measurements as a client sees them: weight, body fat and circumferences in the unit
entered (and stored exactly in kg, cm or percent), units that fit each kind, ranges, retry-safe
creates, ETags, pages, local-day filters, and bad input of every kind."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from tests.api import UserWithToken, all_pages, assert_error
from tests.conftest import change_events

URL = "/v1/body-measurements"


def record(user: UserWithToken, **body: Any) -> dict[str, Any]:
    response = user.post(URL, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def stored_value(db_url: str, measurement_id: str) -> tuple[Decimal, str]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT metric_value, unit::text FROM body_measurements WHERE id = %s",
            (measurement_id,),
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def test_record_read_back_and_audit(make_user: Callable[..., UserWithToken], db_url: str) -> None:
    ann = make_user()
    response = ann.post(
        URL,
        json={
            "kind": "body_weight",
            "value": 81.35,
            "unit": "kg",
            "measured_at": "2026-11-30T07:15:00+01:00",
            "timezone": "Europe/Paris",
            "notes": "after the run",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"{URL}/{body['id']}"
    assert {k: body[k] for k in ("kind", "value", "unit", "timezone", "notes", "version")} == {
        "kind": "body_weight",
        "value": 81.35,
        "unit": "kg",
        "timezone": "Europe/Paris",
        "notes": "after the run",
        "version": 1,
    }
    assert body["measured_at"].startswith("2026-11-30T06:15:00")
    fetched = ann.get(f"{URL}/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert fetched.headers["etag"] == '"1"'
    [event] = change_events(db_url, entity_id=body["id"])
    assert (event["event_type"], event["version"]) == ("body_measurement.created", 1)
    assert event["document"] == body


@pytest.mark.parametrize(
    ("kind", "value", "unit", "metric"),
    [
        ("body_weight", 180.5, "lb", Decimal("81.873422785")),
        ("body_weight", 225, "lb", Decimal("102.05828325")),
        ("waist", 32.75, "in", Decimal("83.185")),
        ("neck", 38.5, "cm", Decimal("38.5")),
        ("body_fat", 17.3, "percent", Decimal("17.3")),
        ("left_biceps", 15.125, "in", Decimal("38.4175")),
    ],
)
def test_values_come_back_as_entered_and_are_stored_exactly_in_metric(
    make_user: Callable[..., UserWithToken],
    db_url: str,
    kind: str,
    value: float,
    unit: str,
    metric: Decimal,
) -> None:
    ann = make_user()
    body = record(ann, kind=kind, value=value, unit=unit)
    assert (body["value"], body["unit"]) == (value, unit)
    assert stored_value(db_url, body["id"]) == (metric, unit)
    assert ann.get(f"{URL}/{body['id']}").json()["value"] == value


def test_default_units_follow_the_preferred_weight_unit(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann = make_user()
    assert record(ann, kind="body_weight", value=80)["unit"] == "kg"
    assert record(ann, kind="waist", value=80)["unit"] == "cm"
    assert record(ann, kind="body_fat", value=15)["unit"] == "percent"
    changed = ann.patch("/v1/me", json={"preferred_weight_unit": "lb"})
    assert changed.status_code == 200, changed.text
    assert record(ann, kind="body_weight", value=176)["unit"] == "lb"
    assert record(ann, kind="hips", value=40)["unit"] == "in"
    assert record(ann, kind="body_fat", value=15)["unit"] == "percent"


@pytest.mark.parametrize(
    ("kind", "unit"),
    [
        ("body_weight", "cm"),
        ("body_weight", "in"),
        ("body_weight", "percent"),
        ("body_fat", "kg"),
        ("body_fat", "cm"),
        ("waist", "kg"),
        ("chest", "lb"),
        ("right_calf", "percent"),
    ],
)
def test_a_unit_that_does_not_fit_the_kind_is_422(
    make_user: Callable[..., UserWithToken], kind: str, unit: str
) -> None:
    ann = make_user()
    body = assert_error(
        ann.post(URL, json={"kind": kind, "value": 50, "unit": unit}), 422, "invalid_unit"
    )
    assert body["details"][0]["field"] == "unit"
    assert ann.get(URL).json()["items"] == []


@pytest.mark.parametrize(
    ("kind", "value", "unit"),
    [
        ("body_weight", 700.001, "kg"),
        ("body_weight", 1543.236, "lb"),
        ("body_fat", 100.5, "percent"),
        ("waist", 500.5, "cm"),
        ("waist", 197, "in"),
    ],
)
def test_values_out_of_range_for_their_kind_are_422(
    make_user: Callable[..., UserWithToken], kind: str, value: float, unit: str
) -> None:
    ann = make_user()
    response = ann.post(URL, json={"kind": kind, "value": value, "unit": unit})
    body = assert_error(response, 422, "out_of_range")
    assert body["details"][0]["field"] == "value"


def test_the_largest_values_are_accepted(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    assert record(ann, kind="body_weight", value=700, unit="kg")["value"] == 700
    assert record(ann, kind="body_weight", value=1543.235, unit="lb")["value"] == 1543.235
    assert record(ann, kind="body_fat", value=100)["value"] == 100
    assert record(ann, kind="left_thigh", value=196.85, unit="in")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": 80}, "kind"),
        ({"kind": "body_weight"}, "value"),
        ({"kind": "weight", "value": 80}, "kind"),
        ({"kind": "body_weight", "value": 0}, "value"),
        ({"kind": "body_weight", "value": -1}, "value"),
        ({"kind": "body_weight", "value": 1600.5}, "value"),
        ({"kind": "body_weight", "value": 80.1234}, "body"),  # a rule across the body
        ({"kind": "body_weight", "value": "80"}, "value"),
        ({"kind": "body_weight", "value": True}, "value"),
        ({"kind": "body_weight", "value": 80, "unit": "stone"}, "unit"),
        ({"kind": "body_weight", "value": 80, "measured_at": "2026-11-30T07:15:00"}, "measured_at"),
        ({"kind": "body_weight", "value": 80, "measured_at": 1700000000}, "measured_at"),
        ({"kind": "body_weight", "value": 80, "timezone": "not a zone"}, "timezone"),
        ({"kind": "body_weight", "value": 80, "notes": "x" * 10_001}, "notes"),
        ({"kind": "body_weight", "value": 80, "id": "not-a-uuid"}, "id"),
        ({"kind": "body_weight", "value": 80, "weight": 80}, "weight"),
    ],
)
def test_bad_bodies_are_400(
    make_user: Callable[..., UserWithToken], body: dict[str, Any], field: str
) -> None:
    ann = make_user()
    error = assert_error(ann.post(URL, json=body), 400, "validation_error")
    assert error["details"][0]["field"] == field, error


def test_bodies_that_are_not_objects_or_too_large(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    assert_error(
        ann.post(URL, json=[{"kind": "body_weight", "value": 80}]), 400, "validation_error"
    )
    assert_error(
        ann.post(URL, content=b"{", headers={"Content-Type": "application/json"}),
        400,
        "bad_request",
    )
    big = {"kind": "body_weight", "value": 80, "notes": "x" * 1_100_000}
    assert_error(ann.post(URL, json=big), 413, "payload_too_large")


def test_an_unknown_time_zone_is_422(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    response = ann.post(URL, json={"kind": "body_weight", "value": 80, "timezone": "Mars/Base"})
    assert_error(response, 422, "invalid_timezone")
    created = record(ann, kind="body_weight", value=80)
    response = ann.patch(f"{URL}/{created['id']}", json={"timezone": "Mars/Base"})
    assert_error(response, 422, "invalid_timezone")


def test_replayed_create(make_user: Callable[..., UserWithToken], db_url: str) -> None:
    ann, bob = make_user(), make_user()
    measurement_id = str(uuid.uuid4())
    body = {
        "id": measurement_id,
        "kind": "waist",
        "value": 31.5,
        "unit": "in",
        "measured_at": "2026-11-30T07:15:00Z",
    }
    first = ann.post(URL, json=body)
    assert first.status_code == 201, first.text
    again = ann.post(URL, json=body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers["location"] == f"{URL}/{measurement_id}"
    # without the optional fields it is still the same request
    assert (
        ann.post(URL, json={"id": measurement_id, "kind": "waist", "value": 31.5}).status_code
        == 200
    )
    conflict = assert_error(ann.post(URL, json={**body, "value": 32}), 409, "id_conflict")
    assert [d["field"] for d in conflict["details"]] == ["value"]
    # another user's id is taken, and nothing of it shows
    taken = assert_error(bob.post(URL, json=body), 409, "id_conflict")
    assert "31.5" not in str(taken)
    # the replays and refused requests recorded nothing more
    events = change_events(db_url, entity_id=measurement_id)
    assert [e["event_type"] for e in events] == ["body_measurement.created"]
    assert events[0]["document"] == first.json()


def test_correcting_a_measurement(make_user: Callable[..., UserWithToken], db_url: str) -> None:
    ann = make_user()
    created = record(ann, kind="body_weight", value=176, unit="kg")
    path = f"{URL}/{created['id']}"
    # entered in the wrong unit: changing only the unit reads the same number in the new one
    fixed = ann.patch(path, json={"unit": "lb"}, headers={"If-Match": '"1"'})
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["value"], fixed.json()["unit"], fixed.json()["version"]) == (176, "lb", 2)
    assert fixed.headers["etag"] == '"2"'
    assert stored_value(db_url, created["id"]) == (Decimal("79.83225712"), "lb")
    stale = ann.patch(path, json={"value": 175}, headers={"If-Match": '"1"'})
    assert_error(stale, 412, "etag_mismatch")
    changed = ann.patch(path, json={"value": 175.5, "notes": "fixed", "timezone": "Asia/Tokyo"})
    assert changed.status_code == 200, changed.text
    assert {k: changed.json()[k] for k in ("value", "unit", "notes", "timezone")} == {
        "value": 175.5,
        "unit": "lb",
        "notes": "fixed",
        "timezone": "Asia/Tokyo",
    }
    # a unit or a kind the other field no longer fits is refused, and nothing changes
    assert_error(ann.patch(path, json={"unit": "cm"}), 422, "invalid_unit")
    assert_error(ann.patch(path, json={"kind": "waist"}), 422, "invalid_unit")
    assert_error(ann.patch(path, json={"value": 1600}), 422, "out_of_range")
    moved = ann.patch(path, json={"kind": "waist", "unit": "in", "value": 30})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["kind"], moved.json()["value"], moved.json()["unit"]) == (
        "waist",
        30,
        "in",
    )
    for bad, field in (
        ({"value": 0}, "value"),
        ({"unit": None}, "unit"),
        ({"extra": 1}, "extra"),
        ({"measured_at": "yesterday"}, "measured_at"),
    ):
        error = assert_error(ann.patch(path, json=bad), 400, "validation_error")
        assert error["details"][0]["field"] == field
    events = change_events(db_url, entity_id=created["id"])
    assert events[-1]["event_type"] == "body_measurement.updated"
    assert events[-1]["version"] == moved.json()["version"]
    assert events[-1]["document"] == moved.json()


def test_conditional_reads_and_deletes(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    created = record(ann, kind="chest", value=101)
    path = f"{URL}/{created['id']}"
    not_modified = ann.get(path, headers={"If-None-Match": '"1"'})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert ann.get(path, headers={"If-None-Match": '"7"'}).status_code == 200
    assert_error(ann.delete(path, headers={"If-Match": '"2"'}), 412, "etag_mismatch")
    assert ann.delete(path, headers={"If-Match": '"1"'}).status_code == 204
    assert_error(ann.get(path), 404, "body_measurement_not_found")
    assert_error(ann.delete(path), 404, "body_measurement_not_found")
    assert_error(ann.patch(path, json={"value": 1}), 404, "body_measurement_not_found")


def test_another_users_measurements_are_not_found(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann, bob = make_user(), make_user()
    anns = record(ann, kind="body_weight", value=60)
    path = f"{URL}/{anns['id']}"
    assert_error(bob.get(path), 404, "body_measurement_not_found")
    assert_error(bob.patch(path, json={"value": 99}), 404, "body_measurement_not_found")
    assert_error(bob.delete(path), 404, "body_measurement_not_found")
    assert bob.get(URL).json()["items"] == []
    assert ann.get(path).json() == anns


def test_list_pages_filters_by_kind_and_local_day(make_user: Callable[..., UserWithToken]) -> None:
    ann = make_user()
    weights = [
        record(ann, kind="body_weight", value=80 + i, measured_at=f"2026-11-0{i + 1}T08:00:00Z")
        for i in range(5)
    ]
    waist = record(ann, kind="waist", value=82, measured_at="2026-11-03T09:00:00Z")
    # 23:30 on the 9th in Tokyo is the 9th there, the 9th at 14:30 in UTC
    tokyo = record(
        ann, kind="body_fat", value=18, measured_at="2026-11-09T14:30:00Z", timezone="Asia/Tokyo"
    )
    everything = all_pages(ann, f"{URL}?limit=2")
    assert [m["id"] for m in everything] == [
        tokyo["id"],
        weights[4]["id"],
        weights[3]["id"],
        waist["id"],
        weights[2]["id"],
        weights[1]["id"],
        weights[0]["id"],
    ]
    only = all_pages(ann, f"{URL}?limit=2&kind=waist&kind=body_fat")
    assert [m["id"] for m in only] == [tokyo["id"], waist["id"]]
    in_range = all_pages(ann, f"{URL}?from=2026-11-02&to=2026-11-03")
    assert [m["id"] for m in in_range] == [waist["id"], weights[2]["id"], weights[1]["id"]]
    assert [m["id"] for m in all_pages(ann, f"{URL}?from=2026-11-10")] == []
    assert [m["id"] for m in all_pages(ann, f"{URL}?from=2026-11-09&to=2026-11-09")] == [
        tokyo["id"]
    ]
    for query in ("kind=weight", "from=2026-13-01", "limit=0", "limit=101", "cursor=bm90"):
        response = ann.get(f"{URL}?{query}")
        assert response.status_code == 400, query


def test_deleting_the_account_removes_its_measurements(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    record(ann, kind="body_weight", value=70)
    assert ann.delete("/v1/me").status_code == 204
    with psycopg.connect(db_url, autocommit=True) as conn:
        count = conn.execute(
            "SELECT count(*) FROM body_measurements WHERE user_id = %s", (ann.id,)
        ).fetchone()
    assert count == (0,)

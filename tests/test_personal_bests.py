"""Personal bests kept per user, exercise and kind (the personal_bests table): logging sets
keeps them, editing or deleting a set that holds one recomputes it, whatever deletes the
sets (the set, its session, the account), and the records the batch route reports are
compared with them. The table always equals its recomputation from the sets
(personal_bests_computed) and the records of /v1/stats/records."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest

from app.core.db import Db
from app.seed import SeedOptions, seed_database
from app.stats.models import NewRecord
from app.stats.operations import new_records
from tests.api import TokenClient, UserWithToken
from tests.catalogue import BACK_SQUAT, BENCH_PRESS

Bests = dict[tuple[str, str], tuple[float, str]]  # (exercise, kind) -> (value, holding set)

# the field of a record's set document that carries each kind's value
VALUE_FIELD = {
    "heaviest_weight": "weight_kg",
    "most_reps": "reps",
    "best_one_rep_max": "one_rep_max_kg",
    "best_volume": "volume_kg",
}


def start(user: TokenClient) -> str:
    response = user.post("/v1/sessions", json={})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def finish(user: TokenClient, session_id: str) -> None:
    assert user.post(f"/v1/sessions/{session_id}/finish", json={}).status_code == 200


def log(user: TokenClient, session_id: str, *sets: dict[str, Any]) -> dict[str, Any]:
    response = user.post(f"/v1/sessions/{session_id}/sets", json=list(sets))
    assert response.status_code == 201, response.text
    return response.json()


def bench(weight: float | None, reps: int | None, **more: Any) -> dict[str, Any]:
    return {"exercise_id": BENCH_PRESS, "weight": weight, "reps": reps, **more}


def stored(db_url: str, user_id: uuid.UUID) -> Bests:
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT exercise_id, kind, value, set_id FROM personal_bests WHERE user_id = %s",
            (user_id,),
        ).fetchall()
    return {(str(e), str(k)): (float(v), str(s)) for e, k, v, s in rows}


def computed(db_url: str, user_id: uuid.UUID) -> Bests:
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT exercise_id, kind, value, set_id FROM personal_bests_computed"
            " WHERE user_id = %s",
            (user_id,),
        ).fetchall()
    return {(str(e), str(k)): (float(v), str(s)) for e, k, v, s in rows}


def reported(user: TokenClient) -> Bests:
    """The records of /v1/stats/records, as the table holds them."""
    response = user.get("/v1/stats/records")
    assert response.status_code == 200
    found: Bests = {}
    for item in response.json()["items"]:
        for kind, field in VALUE_FIELD.items():
            held = item[kind]
            if held is not None:
                found[(item["exercise_id"], kind)] = (float(held[field]), held["set_id"])
    return found


def assert_kept(db_url: str, user: UserWithToken) -> Bests:
    table = stored(db_url, user.id)
    assert table == computed(db_url, user.id)
    assert table == reported(user)
    return table


def test_logging_keeps_the_best_of_each_kind_with_the_earliest_set_to_reach_it(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    session_id = start(ann)
    first = log(ann, session_id, bench(100, 5), bench(80, 10), bench(120, 0))["sets"]
    table = assert_kept(db_url, ann)
    assert table[(BENCH_PRESS, "heaviest_weight")] == (100, first[0]["id"])  # 0 reps: nothing
    assert table[(BENCH_PRESS, "most_reps")] == (10, first[1]["id"])
    assert table[(BENCH_PRESS, "best_volume")] == (800, first[1]["id"])
    # a tie performed earlier takes the best over; a tie performed later does not
    earlier = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    tie = log(ann, session_id, bench(100, 1, performed_at=earlier), bench(80, 10))["sets"]
    table = assert_kept(db_url, ann)
    assert table[(BENCH_PRESS, "heaviest_weight")] == (100, tie[0]["id"])
    assert table[(BENCH_PRESS, "most_reps")] == (10, first[1]["id"])


def test_deleting_the_set_that_holds_a_best_recomputes_it(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    session_id = start(ann)
    heavy, lighter, light = log(ann, session_id, bench(100, 3), bench(90, 3), bench(60, 2))["sets"]
    assert ann.delete(f"/v1/sessions/{session_id}/sets/{heavy['id']}").status_code == 204
    table = assert_kept(db_url, ann)
    assert table[(BENCH_PRESS, "heaviest_weight")] == (90, lighter["id"])
    # the batch route compares with the recomputed best, not the deleted one
    records = log(ann, session_id, bench(95, 1))["records"]
    assert [(r["kind"], r["value"], r["previous"]) for r in records] == [
        ("heaviest_weight", 95, 90)
    ]
    # deleting a set that holds nothing changes nothing
    before = assert_kept(db_url, ann)
    assert ann.delete(f"/v1/sessions/{session_id}/sets/{light['id']}").status_code == 204
    assert assert_kept(db_url, ann) == before


def test_editing_the_set_that_holds_a_best_recomputes_it(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    session_id = start(ann)
    heavy, lighter = log(ann, session_id, bench(100, 5), bench(90, 8))["sets"]
    url = f"/v1/sessions/{session_id}/sets"
    # the heaviest set was a typo: 80, not 100
    assert ann.patch(f"{url}/{heavy['id']}", json={"weight": 80}).status_code == 200
    table = assert_kept(db_url, ann)
    assert table[(BENCH_PRESS, "heaviest_weight")] == (90, lighter["id"])
    assert table[(BENCH_PRESS, "best_volume")] == (720, lighter["id"])
    records = log(ann, session_id, bench(92, 1))["records"]
    assert [(r["kind"], r["value"], r["previous"]) for r in records] == [
        ("heaviest_weight", 92, 90)
    ]
    # a set that held nothing edited up takes the best
    assert ann.patch(f"{url}/{heavy['id']}", json={"reps": 20}).status_code == 200
    table = assert_kept(db_url, ann)
    assert table[(BENCH_PRESS, "most_reps")] == (20, heavy["id"])
    # moved to another exercise, or made a warmup: its bests go with it
    assert ann.patch(f"{url}/{heavy['id']}", json={"exercise_id": BACK_SQUAT}).status_code == 200
    table = assert_kept(db_url, ann)
    assert table[(BENCH_PRESS, "most_reps")] == (8, lighter["id"])
    assert table[(BACK_SQUAT, "most_reps")] == (20, heavy["id"])
    assert ann.patch(f"{url}/{heavy['id']}", json={"set_type": "warmup"}).status_code == 200
    table = assert_kept(db_url, ann)
    assert not any(exercise == BACK_SQUAT for exercise, _ in table)
    # a change of anything else keeps the bests as they are
    assert ann.patch(f"{url}/{lighter['id']}", json={"notes": "felt easy"}).status_code == 200
    assert assert_kept(db_url, ann) == table


def test_deleting_a_session_or_the_account_takes_their_bests(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann, bob = make_user(), make_user()
    old = start(ann)
    log(ann, old, bench(100, 5), {"exercise_id": BACK_SQUAT, "weight": 140, "reps": 3})
    finish(ann, old)
    kept = log(ann, start(ann), bench(90, 5))["sets"]
    log(bob, start(bob), bench(200, 1))
    assert ann.delete(f"/v1/sessions/{old}").status_code == 204
    table = assert_kept(db_url, ann)
    assert table[(BENCH_PRESS, "heaviest_weight")] == (90, kept[0]["id"])
    assert not any(exercise == BACK_SQUAT for exercise, _ in table)
    bob_before = assert_kept(db_url, bob)
    assert ann.delete("/v1/me").status_code == 204
    assert stored(db_url, ann.id) == {}
    assert stored(db_url, bob.id) == bob_before


def test_sets_inserted_elsewhere_are_added_by_personal_bests_add(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    """What an import that inserts sets itself calls in its transaction."""
    ann = make_user()
    session_id = uuid.UUID(start(ann))
    log(ann, str(session_id), bench(100, 5))
    ids = [uuid.uuid4(), uuid.uuid4()]
    with psycopg.connect(db_url) as conn:
        for position, (set_id, weight) in enumerate(zip(ids, (110, 50), strict=True), start=1):
            conn.execute(
                "INSERT INTO set_records (id, session_id, user_id, exercise_id, position,"
                " reps, weight_kg) VALUES (%s, %s, %s, %s, %s, 12, %s)",
                (set_id, session_id, ann.id, BENCH_PRESS, position, weight),
            )
        conn.execute("SELECT personal_bests_add(%s, %s)", (ann.id, ids))
    table = assert_kept(db_url, ann)
    assert table[(BENCH_PRESS, "heaviest_weight")] == (110, str(ids[0]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_table_always_equals_its_recomputation_from_the_sets(
    seed: int,
    make_user: Callable[..., UserWithToken],
    db_url: str,
    run_db: Callable[[Callable[[Db], Any]], Any],
) -> None:
    """Random batches, edits and deletes, with ties of values and instants: after each step
    the table equals personal_bests_computed, and each batch's records are those that
    stats/records_set_by finds from the sets."""
    rng = random.Random(seed)
    ann = make_user()
    sessions = [start(ann)]  # the last one in progress, the others finished
    logged: list[tuple[str, str]] = []  # (session, set)
    base = datetime.now(UTC) - timedelta(days=10)
    instants = [(base + timedelta(hours=h)).isoformat() for h in range(4)]

    def random_set() -> dict[str, Any]:
        reps = rng.choice([None, 0, 1, 3, 5, 8])
        weight = (
            rng.choice([0, 20, 60, 60, 80, 100])
            if reps is None
            else rng.choice([None, 0, 20, 60, 60, 80, 100])
        )
        return {
            "exercise_id": rng.choice([BENCH_PRESS, BACK_SQUAT]),
            "reps": reps,
            "weight": weight,
            "set_type": rng.choice(["normal", "normal", "warmup", "failure"]),
            "performed_at": rng.choice([*instants, None]),
        }

    done: dict[str, int] = {}
    for step in range(30):
        action = rng.choice(["log", "log", "log", "edit", "delete", "next", "drop_session"])
        if action == "log" or not logged:
            session_id = sessions[-1]
            answer = log(ann, session_id, *[random_set() for _ in range(rng.randint(1, 4))])
            ids = [uuid.UUID(s["id"]) for s in answer["sets"]]
            logged += [(session_id, str(i)) for i in ids]

            async def found(db: Db, ids: list[uuid.UUID] = ids) -> list[NewRecord]:
                return await new_records(db, user_id=ann.id, set_ids=ids)

            expected = [
                {
                    "set_id": str(r.set_id),
                    "exercise_id": str(r.exercise_id),
                    "kind": r.kind.value,
                    "value": r.value,
                    "previous": r.previous,
                }
                for r in run_db(found)
            ]
            assert answer["records"] == expected, f"step {step}"
        elif action == "edit":
            session_id, set_id = rng.choice(logged)
            change = rng.choice(
                [
                    {"weight": rng.choice([None, 40, 100, 120])},
                    {"reps": rng.choice([None, 0, 2, 10])},
                    {"set_type": rng.choice(["normal", "warmup"])},
                    {"exercise_id": rng.choice([BENCH_PRESS, BACK_SQUAT])},
                    {"performed_at": rng.choice(instants)},
                ]
            )
            response = ann.patch(f"/v1/sessions/{session_id}/sets/{set_id}", json=change)
            # clearing both reps and weight of a set with no other measurement is refused
            assert response.status_code in (200, 422), response.text
            if response.status_code == 200:
                done["edit"] = done.get("edit", 0) + 1
        elif action == "delete":
            session_id, set_id = logged.pop(rng.randrange(len(logged)))
            assert ann.delete(f"/v1/sessions/{session_id}/sets/{set_id}").status_code == 204
            done["delete"] = done.get("delete", 0) + 1
        elif action == "next":
            finish(ann, sessions[-1])
            sessions.append(start(ann))
        else:
            index = rng.randrange(len(sessions))
            gone = sessions.pop(index)
            assert ann.delete(f"/v1/sessions/{gone}").status_code == 204
            logged = [(s, i) for s, i in logged if s != gone]
            if index == len(sessions):  # it was the one in progress
                sessions.append(start(ann))
            done["drop_session"] = done.get("drop_session", 0) + 1
        assert stored(db_url, ann.id) == computed(db_url, ann.id), f"step {step}: {action}"
    assert_kept(db_url, ann)
    assert sorted(done) == ["delete", "drop_session", "edit"], done  # each was exercised


def test_the_seed_computes_the_bests_of_the_sets_it_loads(db_url: str) -> None:
    seed_database(db_url, SeedOptions(users=3, end_date=date(2026, 11, 26)), progress=False)
    with psycopg.connect(db_url, autocommit=True) as conn:
        table = conn.execute(
            "SELECT user_id, exercise_id, kind, value, set_id, performed_at FROM personal_bests"
            " ORDER BY 1, 2, 3"
        ).fetchall()
        expected = conn.execute(
            "SELECT user_id, exercise_id, kind, value, set_id, performed_at"
            " FROM personal_bests_computed ORDER BY 1, 2, 3"
        ).fetchall()
    assert len(table) > 20
    assert table == expected

"""The feed's ordering guarantee under concurrency: many writers of one user commit in
whatever order their transactions end, while readers poll the feed; every reader sees every
committed event exactly once, in position order, and never a hole that fills later (the
outbox trap of transactions that commit out of order). Rolled-back writes leave no event
and no gap.

The writers and readers are the app's own functions on connections of a real pool, each
task on a connection of its own, as concurrent requests are."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

from app.body_measurements.models import BodyMeasurementCreate, BodyMeasurementPatch
from app.body_measurements.operations import record_measurement, update_measurement
from app.core.db import Db, load_queries, open_pool
from app.core.enums import BodyMeasurementKind
from app.sync.operations import read_changes
from tests.conftest import make_settings

WRITERS = 12
WRITES_EACH = 25
READERS = 4


class RolledBack(Exception):
    pass


async def writer(
    pool: Any,
    queries: Any,
    user_id: uuid.UUID,
    rng: random.Random,
    committed: dict[uuid.UUID, int],
) -> None:
    """WRITES_EACH writes: a plain create, a create or an update held open for a while
    after its event is recorded (so later transactions queue behind it), or one rolled back
    after recording its event."""
    for _ in range(WRITES_EACH):
        async with pool.connection() as conn:
            db = Db(conn, queries, 10_000)
            kind = rng.choice(["plain", "held", "held", "rolled_back", "update"])
            data = BodyMeasurementCreate(
                kind=BodyMeasurementKind.BODY_FAT, value=round(rng.uniform(5, 40), 1)
            )
            if kind == "plain":
                measurement, _ = await record_measurement(db, user_id=user_id, data=data)
                committed[measurement.id] = committed.get(measurement.id, 0) + 1
                continue
            if kind == "update" and committed:
                target = rng.choice(sorted(committed))
                async with db.transaction():
                    await asyncio.sleep(rng.uniform(0, 0.004))
                    await update_measurement(
                        db,
                        user_id=user_id,
                        measurement_id=target,
                        data=BodyMeasurementPatch(notes=f"edit {rng.random()}"),
                        if_match=None,
                    )
                    await asyncio.sleep(rng.uniform(0, 0.004))
                committed[target] += 1
                continue
            try:
                async with db.transaction():  # the change's transaction, kept open a while
                    await asyncio.sleep(rng.uniform(0, 0.004))
                    measurement, _ = await record_measurement(db, user_id=user_id, data=data)
                    await asyncio.sleep(rng.uniform(0, 0.008))
                    if kind == "rolled_back":
                        raise RolledBack
            except RolledBack:
                continue
            committed[measurement.id] = committed.get(measurement.id, 0) + 1


async def reader(
    pool: Any,
    queries: Any,
    user_id: uuid.UUID,
    rng: random.Random,
    writing: asyncio.Event,
) -> list[dict[str, Any]]:
    """Poll the feed with pages of random sizes until the writers are done and the feed is
    read to its end; every page must continue exactly after the cursor."""
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        done = not writing.is_set()  # decided before the read: a last full pass after it
        async with pool.connection() as conn:
            page = await read_changes(
                Db(conn, queries, 10_000), user_id=user_id, cursor=cursor, limit=rng.randint(1, 40)
            )
        positions = [e.position for e in page.items]
        start = seen[-1]["position"] if seen else 0
        assert positions == list(range(start + 1, start + 1 + len(positions))), (start, positions)
        seen += [{"position": e.position, "entity_id": e.entity_id} for e in page.items]
        cursor = page.next_cursor
        if done and not page.has_more:
            return seen
        await asyncio.sleep(rng.uniform(0, 0.003))


def test_parallel_writers_and_polling_readers_see_every_event_once_in_order(
    db_url: str, make_user: Any
) -> None:
    user = make_user()
    other = make_user()  # writes of another user at the same time take nothing from this feed
    rng = random.Random(14)
    committed: dict[uuid.UUID, int] = {}
    others: dict[uuid.UUID, int] = {}

    async def main() -> list[list[dict[str, Any]]]:
        settings = make_settings(db_url, pool_max_size=WRITERS + READERS + 3)
        queries = load_queries()
        async with open_pool(settings, db_url) as pool:
            writing = asyncio.Event()
            writing.set()
            readers = [
                asyncio.create_task(
                    reader(pool, queries, user.id, random.Random(rng.random()), writing)
                )
                for _ in range(READERS)
            ]
            await asyncio.gather(
                *(
                    writer(pool, queries, user.id, random.Random(rng.random()), committed)
                    for _ in range(WRITERS)
                ),
                writer(pool, queries, other.id, random.Random(rng.random()), others),
            )
            writing.clear()
            return await asyncio.gather(*readers)

    seen_by_readers = asyncio.run(main())
    total = sum(committed.values())  # one event per committed create or update
    assert total > WRITERS * WRITES_EACH // 2
    for seen in seen_by_readers:
        assert [e["position"] for e in seen] == list(range(1, total + 1))
        counts: dict[uuid.UUID, int] = {}
        for event in seen:
            counts[event["entity_id"]] = counts.get(event["entity_id"], 0) + 1
        assert counts == committed  # every committed change once, nothing rolled back

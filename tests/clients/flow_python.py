"""The whole flow with the Python client that openapi-python-client generates from the live
document (package `kinetria_client`, importable from PYTHONPATH): register, create a
workout, start a session, log a set and a batch, finish, read the statistics, page through
a list, use an ETag. No type of ours: every model comes from the generated package.

    python flow_python.py BASE_URL"""

from __future__ import annotations

import sys
import uuid
from http import HTTPStatus

from kinetria_client import AuthenticatedClient, Client
from kinetria_client.api.auth import register
from kinetria_client.api.exercises import list_exercises
from kinetria_client.api.sessions import finish_session, get_session, log_sets, start_session
from kinetria_client.api.statistics import get_training_summary
from kinetria_client.api.workouts import (
    create_workout,
    list_workouts,
    replace_workout_exercises,
    update_workout,
)
from kinetria_client.models import (
    ExercisePage,
    LoggedSets,
    PlannedExerciseIn,
    RegisterBody,
    Session,
    SessionCreate,
    SessionEnd,
    SessionStatus,
    SetCreate,
    SetType,
    Summary,
    TokenResponse,
    WeightUnit,
    Workout,
    WorkoutCreate,
    WorkoutPage,
    WorkoutPatch,
    WorkoutStatus,
)


def main(base_url: str) -> None:
    email = f"py-{uuid.uuid4().hex[:12]}@example.com"
    signed_up = register.sync_detailed(
        client=Client(base_url=base_url),
        body=RegisterBody(email=email, password="correct horse battery", display_name="Py"),
    )
    assert signed_up.status_code == HTTPStatus.CREATED, signed_up.content
    tokens = signed_up.parsed
    assert isinstance(tokens, TokenResponse)
    assert tokens.token_type == "Bearer"
    client = AuthenticatedClient(base_url=base_url, token=tokens.access_token)

    # the catalogue, two pages of it: the cursor is passed back as it came
    first = list_exercises.sync(client=client, limit=5)
    assert isinstance(first, ExercisePage)
    assert len(first.items) == 5
    assert first.next_cursor is not None
    second = list_exercises.sync(client=client, limit=5, cursor=first.next_cursor)
    assert isinstance(second, ExercisePage)
    assert len(second.items) == 5
    assert not {e.id for e in first.items} & {e.id for e in second.items}
    squat = first.items[0]

    # a workout with its exercises, made active with If-Match
    created = create_workout.sync_detailed(
        client=client, body=WorkoutCreate(name="Strength A", description="5 x 5")
    )
    assert created.status_code == HTTPStatus.CREATED
    workout = created.parsed
    assert isinstance(workout, Workout)
    assert created.headers["etag"] == f'"{workout.version}"'
    replaced = replace_workout_exercises.sync(
        workout.id,
        client=client,
        body=[
            PlannedExerciseIn(
                exercise_id=squat.id, target_sets=5, target_reps=5, target_weight_kg=100
            )
        ],
    )
    assert isinstance(replaced, Workout)
    assert len(replaced.exercises) == 1
    stale = update_workout.sync_detailed(
        workout.id,
        client=client,
        body=WorkoutPatch(status=WorkoutStatus.ACTIVE),
        if_match=f'"{workout.version}"',
    )
    assert stale.status_code == HTTPStatus.PRECONDITION_FAILED
    active = update_workout.sync(
        workout.id,
        client=client,
        body=WorkoutPatch(status=WorkoutStatus.ACTIVE),
        if_match=f'"{replaced.version}"',
    )
    assert isinstance(active, Workout)
    assert active.status == WorkoutStatus.ACTIVE
    listed = list_workouts.sync(client=client, limit=1)
    assert isinstance(listed, WorkoutPage)
    assert [w.id for w in listed.items] == [workout.id]

    # a session from it; a set alone, then a batch
    started = start_session.sync_detailed(
        client=client, body=SessionCreate(workout_id=workout.id, timezone="Europe/Paris")
    )
    assert started.status_code == HTTPStatus.CREATED
    session = started.parsed
    assert isinstance(session, Session)
    assert len(session.exercises) == 1
    one = log_sets.sync(
        session.id,
        client=client,
        body=SetCreate(
            exercise_id=squat.id,
            set_type=SetType.WARMUP,
            reps=5,
            weight=60,
            weight_unit=WeightUnit.KG,
        ),
    )
    assert isinstance(one, LoggedSets)
    assert len(one.sets) == 1
    batch = log_sets.sync(
        session.id,
        client=client,
        body=[
            SetCreate(exercise_id=squat.id, reps=5, weight=100, rpe=8),
            SetCreate(exercise_id=squat.id, reps=5, weight=225, weight_unit=WeightUnit.LB),
        ],
    )
    assert isinstance(batch, LoggedSets)
    assert [s.position for s in batch.sets] == [1, 2]
    assert batch.sets[1].weight == 225
    assert batch.sets[1].weight_unit == WeightUnit.LB

    # finish without a body, then once more with one (a retry changes nothing)
    finished = finish_session.sync(session.id, client=client)
    assert isinstance(finished, Session)
    assert finished.status == SessionStatus.COMPLETED
    again = finish_session.sync(session.id, client=client, body=SessionEnd())
    assert isinstance(again, Session)
    assert again.version == finished.version

    # the ETag: If-None-Match with the current one is 304, without a body
    read = get_session.sync_detailed(session.id, client=client)
    assert read.status_code == HTTPStatus.OK
    etag = read.headers["etag"]
    unchanged = get_session.sync_detailed(session.id, client=client, if_none_match=etag)
    assert unchanged.status_code == HTTPStatus.NOT_MODIFIED

    summary = get_training_summary.sync(client=client, tz="Europe/Paris")
    assert isinstance(summary, Summary)
    assert summary.sessions == 1
    assert summary.sets == 2
    print("python client: flow ok")


if __name__ == "__main__":
    main(sys.argv[1])

"""The ORM peer: FastAPI + SQLAlchemy 2 async ORM + Pydantic, the four endpoints.

DATABASE_URL=... JWT_SECRET=... python -m bench.peers.orm_app PORT
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request
from sqlalchemy import DateTime, ForeignKey, func, select, tuple_
from sqlalchemy.dialects.postgresql import ENUM
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

from bench.peers.common import (
    MAX_BATCH,
    POOL_SIZE,
    ExerciseGroup,
    LoggedSets,
    PlannedExercise,
    SessionPage,
    SessionSummary,
    SetCreate,
    SetRecord,
    UserId,
    Workout,
    database,
    decode_cursor,
    encode_cursor,
    health,
    serve,
    weight_from_kg,
    weight_to_kg,
)

SetType = ENUM("normal", "warmup", "dropset", "failure", name="set_type", create_type=False)
WeightUnit = ENUM("kg", "lb", name="weight_unit", create_type=False)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}  # noqa: RUF012


class ExerciseRow(Base):
    __tablename__ = "exercises"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    user_id: Mapped[UUID | None]
    name: Mapped[str]


class WorkoutExerciseRow(Base):
    __tablename__ = "workout_exercises"
    workout_id: Mapped[UUID] = mapped_column(ForeignKey("workouts.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[UUID]
    exercise_id: Mapped[UUID] = mapped_column(ForeignKey("exercises.id"))
    target_sets: Mapped[int | None]
    target_reps: Mapped[int | None]
    target_weight_kg: Mapped[Decimal | None]
    target_rest_s: Mapped[int | None]
    notes: Mapped[str]
    group_key: Mapped[str | None]
    group_kind: Mapped[str | None]
    group_position: Mapped[int | None]
    exercise: Mapped[ExerciseRow] = relationship(lazy="joined")


class WorkoutRow(Base):
    __tablename__ = "workouts"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    user_id: Mapped[UUID]
    name: Mapped[str]
    description: Mapped[str]
    status: Mapped[str]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    exercises: Mapped[list[WorkoutExerciseRow]] = relationship(order_by=WorkoutExerciseRow.position)


class SessionRow(Base):
    __tablename__ = "sessions"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    user_id: Mapped[UUID]
    workout_id: Mapped[UUID | None]
    name: Mapped[str]
    status: Mapped[str]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    timezone: Mapped[str]
    notes: Mapped[str]
    version: Mapped[int]
    next_set_position: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012


class SetRow(Base):
    __tablename__ = "set_records"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    session_id: Mapped[UUID]
    user_id: Mapped[UUID]
    exercise_id: Mapped[UUID]
    position: Mapped[int]
    set_type: Mapped[str] = mapped_column(SetType)
    reps: Mapped[int | None]
    weight_kg: Mapped[Decimal | None]
    weight_unit: Mapped[str] = mapped_column(WeightUnit)
    duration_s: Mapped[int | None]
    distance_m: Mapped[Decimal | None]
    rpe: Mapped[Decimal | None]
    performed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    notes: Mapped[str]
    version: Mapped[int] = mapped_column(server_default="1")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012  (the defaults come back by RETURNING)


async def db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


Db = Annotated[AsyncSession, Depends(db)]


def create_app() -> FastAPI:
    args = database()
    engine = create_async_engine(
        "postgresql+asyncpg://",
        connect_args={k: v for k, v in args.items() if v is not None},
        pool_size=POOL_SIZE,
        max_overflow=0,
    )
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan, openapi_url=None)
    app.state.sessions = sessions

    @app.get("/health")
    async def get_health() -> dict[str, Any]:
        return health()

    @app.get("/v1/workouts/{workout_id}", response_model=Workout)
    async def get_workout(workout_id: UUID, user_id: UserId, session: Db) -> Any:
        workout = await session.scalar(
            select(WorkoutRow)
            .where(WorkoutRow.id == workout_id, WorkoutRow.user_id == user_id)
            .options(selectinload(WorkoutRow.exercises))
        )
        if workout is None:
            raise HTTPException(404, "No such workout")
        return Workout(
            id=workout.id,
            name=workout.name,
            description=workout.description,
            status=workout.status,
            version=workout.version,
            created_at=workout.created_at,
            updated_at=workout.updated_at,
            exercises=[
                PlannedExercise(
                    position=we.position,
                    exercise_id=we.exercise_id,
                    exercise_name=we.exercise.name,
                    target_sets=we.target_sets,
                    target_reps=we.target_reps,
                    target_weight_kg=we.target_weight_kg,
                    target_rest_s=we.target_rest_s,
                    notes=we.notes,
                    group=None
                    if we.group_key is None
                    else ExerciseGroup(
                        key=we.group_key, kind=we.group_kind or "", position=we.group_position or 0
                    ),
                )
                for we in workout.exercises
            ],
        )

    set_count = (
        select(func.count())
        .where(SetRow.user_id == SessionRow.user_id, SetRow.session_id == SessionRow.id)
        .correlate(SessionRow)
        .scalar_subquery()
    )

    @app.get("/v1/sessions", response_model=SessionPage)
    async def list_sessions(
        user_id: UserId,
        session: Db,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: str | None = None,
    ) -> Any:
        query = select(SessionRow, set_count).where(SessionRow.user_id == user_id)
        after = decode_cursor(cursor)
        if after is not None:
            query = query.where(tuple_(SessionRow.started_at, SessionRow.id) < after)
        rows = (
            await session.execute(
                query.order_by(SessionRow.started_at.desc(), SessionRow.id.desc()).limit(limit + 1)
            )
        ).all()
        items = [
            SessionSummary.model_validate({**_columns(row[0]), "set_count": row[1]})
            for row in rows[:limit]
        ]
        last = items[-1] if len(rows) > limit else None
        return SessionPage(
            items=items, next_cursor=last and encode_cursor(last.started_at, last.id)
        )

    @app.post("/v1/sessions/{session_id}/sets", response_model=LoggedSets, status_code=201)
    async def log_sets(
        session_id: UUID,
        user_id: UserId,
        session: Db,
        sets: Annotated[list[SetCreate], Body(min_length=1, max_length=MAX_BATCH)],
    ) -> Any:
        async with session.begin():
            target = await session.scalar(
                select(SessionRow)
                .where(SessionRow.id == session_id, SessionRow.user_id == user_id)
                .with_for_update()
            )
            if target is None:
                raise HTTPException(404, "No such session")
            if target.status != "in_progress":
                raise HTTPException(409, "The session is not in progress")
            wanted = {s.exercise_id for s in sets}
            exercises = (
                await session.scalars(
                    select(ExerciseRow).where(
                        ExerciseRow.id.in_(wanted),
                        (ExerciseRow.user_id.is_(None)) | (ExerciseRow.user_id == user_id),
                    )
                )
            ).all()
            names = {e.id: e.name for e in exercises}
            if len(names) != len(wanted):
                raise HTTPException(422, "No such exercise")
            rows = [
                SetRow(
                    id=s.id or uuid4(),
                    session_id=session_id,
                    user_id=user_id,
                    exercise_id=s.exercise_id,
                    position=target.next_set_position + i,
                    set_type=s.set_type,
                    reps=s.reps,
                    weight_kg=weight_to_kg(s.weight, s.weight_unit),
                    weight_unit=s.weight_unit,
                    duration_s=s.duration_s,
                    distance_m=s.distance_m,
                    rpe=s.rpe,
                    notes=s.notes,
                    **({"performed_at": s.performed_at} if s.performed_at else {}),
                )
                for i, s in enumerate(sets)
            ]
            session.add_all(rows)
            target.next_set_position += len(sets)
            target.version += 1
            target.updated_at = func.now()  # type: ignore[assignment]
            await session.flush()
        return LoggedSets(
            sets=[
                SetRecord(
                    id=r.id,
                    session_id=r.session_id,
                    exercise_id=r.exercise_id,
                    exercise_name=names[r.exercise_id],
                    position=r.position,
                    set_type=r.set_type,
                    reps=r.reps,
                    weight=weight_from_kg(r.weight_kg, r.weight_unit),
                    weight_unit=r.weight_unit,
                    duration_s=r.duration_s,
                    distance_m=r.distance_m,
                    rpe=r.rpe,
                    performed_at=r.performed_at,
                    notes=r.notes,
                    version=r.version,
                    created_at=r.created_at,
                    updated_at=r.updated_at,
                )
                for r in rows
            ],
            session_version=target.version,
        )

    return app


def _columns(row: SessionRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in SessionSummary.model_fields if name != "set_count"}


if __name__ == "__main__":
    serve("bench.peers.orm_app:create_app")

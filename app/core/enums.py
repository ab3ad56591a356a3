"""The closed sets of values of the domain.

Each class mirrors a PostgreSQL ENUM type of db/migrations, member for member and in the
same order (the database sorts ENUM values in that order). tests/test_schema.py checks
that both agree; adding a value means a migration (``ALTER TYPE ... ADD VALUE``) and a
member here.
"""

from enum import StrEnum

__all__ = [
    "AccountTokenPurpose",
    "ApiKeyScope",
    "AuditAction",
    "BodyMeasurementKind",
    "BodyMeasurementUnit",
    "ChangeEntityType",
    "ChangeEventType",
    "ExerciseCategory",
    "ExerciseGroupKind",
    "MuscleGroup",
    "SessionStatus",
    "SetType",
    "WebhookDeliveryStatus",
    "WebhookDisabledReason",
    "WeightUnit",
    "WorkoutStatus",
]


class WorkoutStatus(StrEnum):
    """``workout_status``: the life cycle of a workout plan."""

    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class SessionStatus(StrEnum):
    """``session_status``: a performed session is running, finished or given up."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class ExerciseCategory(StrEnum):
    """``exercise_category``: the kind of training an exercise is."""

    STRENGTH = "strength"
    CARDIO = "cardio"
    BODYWEIGHT = "bodyweight"
    FLEXIBILITY = "flexibility"
    PLYOMETRICS = "plyometrics"
    OLYMPIC = "olympic"


class MuscleGroup(StrEnum):
    """``muscle_group``: what an exercise trains (``cardio`` is the cardiovascular system)."""

    CHEST = "chest"
    BACK = "back"
    SHOULDERS = "shoulders"
    BICEPS = "biceps"
    TRICEPS = "triceps"
    FOREARMS = "forearms"
    ABS = "abs"
    OBLIQUES = "obliques"
    LOWER_BACK = "lower_back"
    GLUTES = "glutes"
    QUADRICEPS = "quadriceps"
    HAMSTRINGS = "hamstrings"
    CALVES = "calves"
    HIP_FLEXORS = "hip_flexors"
    ADDUCTORS = "adductors"
    ABDUCTORS = "abductors"
    TRAPS = "traps"
    NECK = "neck"
    FULL_BODY = "full_body"
    CARDIO = "cardio"


class AuditAction(StrEnum):
    """``audit_action``: what an ``audit_log`` row records."""

    REGISTER = "register"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    TOKEN_REFRESH = "token_refresh"  # noqa: S105 (an action name, not a secret)
    TOKEN_REUSE_DETECTED = "token_reuse_detected"  # noqa: S105 (an action name, not a secret)
    PASSWORD_CHANGE = "password_change"  # noqa: S105 (an action name, not a secret)
    ACCOUNT_DELETE = "account_delete"
    LOGIN_REVOKE = "login_revoke"
    PROFILE_UPDATE = "profile_update"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    PASSWORD_RESET_REQUEST = "password_reset_request"  # noqa: S105 (an action name)
    PASSWORD_RESET = "password_reset"  # noqa: S105 (an action name, not a secret)
    EMAIL_VERIFICATION_REQUEST = "email_verification_request"
    EMAIL_VERIFIED = "email_verified"
    EMAIL_CHANGE_REQUEST = "email_change_request"
    EMAIL_CHANGE = "email_change"


class SetType(StrEnum):
    """``set_type``: the kind of a performed set."""

    NORMAL = "normal"
    WARMUP = "warmup"
    DROPSET = "dropset"
    FAILURE = "failure"


class WeightUnit(StrEnum):
    """``weight_unit``: a user's preferred unit, and the unit a weight was entered in.

    Weights are always stored in kilograms; 1 lb is exactly 0.45359237 kg.
    """

    KG = "kg"
    LB = "lb"


class ExerciseGroupKind(StrEnum):
    """``exercise_group_kind``: how the exercises of one group of a plan are performed:
    back to back (a superset) or as repeated rounds (a circuit)."""

    SUPERSET = "superset"
    CIRCUIT = "circuit"


class BodyMeasurementKind(StrEnum):
    """``body_measurement_kind``: what a body measurement measures."""

    BODY_WEIGHT = "body_weight"
    BODY_FAT = "body_fat"
    NECK = "neck"
    SHOULDERS = "shoulders"
    CHEST = "chest"
    LEFT_BICEPS = "left_biceps"
    RIGHT_BICEPS = "right_biceps"
    LEFT_FOREARM = "left_forearm"
    RIGHT_FOREARM = "right_forearm"
    ABDOMEN = "abdomen"
    WAIST = "waist"
    HIPS = "hips"
    LEFT_THIGH = "left_thigh"
    RIGHT_THIGH = "right_thigh"
    LEFT_CALF = "left_calf"
    RIGHT_CALF = "right_calf"


class BodyMeasurementUnit(StrEnum):
    """``body_measurement_unit``: the unit a body measurement was entered in: kg or lb for
    body weight, percent for body fat, cm or in for a circumference. Stored values are in
    kg, cm or percent; 1 lb is exactly 0.45359237 kg, 1 in exactly 2.54 cm."""

    KG = "kg"
    LB = "lb"
    CM = "cm"
    IN = "in"
    PERCENT = "percent"


class WebhookDisabledReason(StrEnum):
    """``webhook_disabled_reason``: why a webhook subscription is disabled: turned off by its
    owner, or after 50 failed delivery attempts in a row."""

    BY_USER = "by_user"
    FAILURES = "failures"


class ChangeEventType(StrEnum):
    """``change_event_type``: what a change_events row records, ``<entity>.<change>``."""

    EXERCISE_CREATED = "exercise.created"
    EXERCISE_UPDATED = "exercise.updated"
    EXERCISE_DELETED = "exercise.deleted"
    WORKOUT_CREATED = "workout.created"
    WORKOUT_UPDATED = "workout.updated"
    WORKOUT_DELETED = "workout.deleted"
    SESSION_CREATED = "session.created"
    SESSION_UPDATED = "session.updated"
    SESSION_COMPLETED = "session.completed"
    SESSION_ABANDONED = "session.abandoned"
    SESSION_DELETED = "session.deleted"
    SET_CREATED = "set.created"
    SET_UPDATED = "set.updated"
    SET_DELETED = "set.deleted"
    PROFILE_UPDATED = "profile.updated"
    BODY_MEASUREMENT_CREATED = "body_measurement.created"
    BODY_MEASUREMENT_UPDATED = "body_measurement.updated"
    BODY_MEASUREMENT_DELETED = "body_measurement.deleted"
    # a webhook subscription turned off after 50 failed delivery attempts in a row
    WEBHOOK_DISABLED = "webhook.disabled"


class ChangeEntityType(StrEnum):
    """``change_entity_type``: the kind of entity a change event is about."""

    EXERCISE = "exercise"
    WORKOUT = "workout"
    SESSION = "session"
    SET = "set"
    PROFILE = "profile"
    BODY_MEASUREMENT = "body_measurement"
    WEBHOOK = "webhook"


class WebhookDeliveryStatus(StrEnum):
    """``webhook_delivery_status``: where a webhook delivery stands: waiting for its (next)
    attempt, answered with a 2xx, or given up after about 24 hours of retries."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class ApiKeyScope(StrEnum):
    """``api_key_scope``: what a personal API key may do: read (GET only) or write (every
    method, reading included). No scope lets a key manage the account, its logins, its keys
    or its webhooks."""

    READ = "read"
    WRITE = "write"


class AccountTokenPurpose(StrEnum):
    """``account_token_purpose``: what a mailed account token is for."""

    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose, not a secret)
    VERIFY_EMAIL = "verify_email"


class ImportStatus(StrEnum):
    """``import_status``: where a background import stands: its job waits for a worker,
    runs, succeeded (its result is there) or failed (its error is there, nothing written)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

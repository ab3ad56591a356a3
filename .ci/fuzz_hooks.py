"""Schemathesis hooks of .ci/fuzz.py: the refusals of schema-valid requests that a schema
cannot prevent, each listed in docs/fuzzing.md with why.

`positive_data_acceptance` (in `--checks all`) is told to let 400, 412 and 422 through for
schema-valid requests; `documented_refusals_only` then fails every such answer whose
`error_code` (and, for `validation_error`, whose rule) is not in OUTSIDE_THE_SCHEMA. So a
schema-valid request refused for any other reason is still a failure."""

from __future__ import annotations

import json
from typing import Any

import schemathesis

# (status, error_code) refused for a reason that depends on stored data, on another field or
# on a list no schema holds; see docs/fuzzing.md for each
OUTSIDE_THE_SCHEMA: dict[tuple[int, str], str] = {
    (400, "invalid_cursor"): "a cursor is opaque: only a next_cursor the server gave is one",
    (400, "invalid_reset_token"): "only a token the server mailed (unused, newest) is one",
    (400, "invalid_verification_token"): "only a token the server mailed (unused, newest) is one",
    (400, "unknown_time_zone"): "`tz` is an IANA zone name (the tz database, not a pattern)",
    (422, "invalid_timezone"): "`timezone` is an IANA zone name",
    (400, "range_too_large"): "`from`..`to` spans at most 731 days, `to` defaulting to today",
    (400, "invalid_range"): "`from` must not be after `to`: two parameters",
    (412, "etag_mismatch"): "If-Match must be the current version's ETag",
    (422, "unknown_exercise"): "an exercise id must name a system exercise or one of yours",
    (422, "unknown_workout"): "a workout id must name one of your workouts",
    (422, "invalid_times"): "`ended_at` must not be before the session's `started_at`",
    (422, "invalid_group"): "a group key is shared by two or more exercises of one kind",
    (422, "invalid_muscles"): "secondary muscles must not repeat the (stored) primary one",
    (422, "invalid_unit"): "a unit must fit the measurement's kind (stored or sent)",
    (422, "out_of_range"): "a measurement's bound depends on its kind and unit",
    (422, "weak_password"): "the password policy: NFKC length, not only spaces, not the email",
    (422, "invalid_email"): "an email address is checked by the server's address syntax",
    (422, "invalid_file"): "an imported file's content: CSV columns and rows, or an export",
    (422, "invalid_url"): "a webhook URL's scheme, host and address rules (resolved, per env)",
}
# refusals allowed only for some rules, named by the details' messages
RULES_OUTSIDE: dict[tuple[int, str], tuple[str, ...]] = {
    (400, "validation_error"): (
        "has more than 3 decimals",  # JSON Schema's multipleOf is binary floating point
        "must be at most 1500 kg",  # a set's weight bound depends on its unit
        "a set needs at least one of",  # at least one of four nullable fields
        "must not repeat the primary muscle",  # two fields of one body
        "Text must be UTF-8 without U+0000 (NUL) or unpaired surrogates",
        "An instant needs an offset within",  # RFC 3339 allows ±23:59; PostgreSQL ±15:59
        "must not be blank",  # names are trimmed (Python's whitespace) before the check
        # 5.0 is an integer to JSON Schema; the server takes integers written without a fraction
        "Expected `int`, got `float`",
        "Expected `int | null`, got `float`",
    ),
    (422, "invalid_display_name"): ("must not be blank",),  # blank after trimming
}


def _body(response: Any) -> dict[str, Any]:
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@schemathesis.check
def documented_refusals_only(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-valid request refused with 400, 412 or 422 is refused for a documented reason."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status not in (400, 412, 422):
        return None
    body = _body(response)
    code = str(body.get("error_code", ""))
    if (status, code) in OUTSIDE_THE_SCHEMA:
        return None
    rules = RULES_OUTSIDE.get((status, code), ())
    messages = [str(d.get("message", "")) for d in body.get("details") or []]
    if rules and messages and all(any(rule in m for rule in rules) for m in messages):
        return None
    raise AssertionError(
        f"Schema-valid request refused with {status} `{code}`, which docs/fuzzing.md does"
        f" not list as outside the schema: {response.content[:500]!r}"
    )

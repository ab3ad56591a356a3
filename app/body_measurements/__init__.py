"""Body measurements: body weight, body-fat percentage and the common circumferences, over
time.

Routes: `GET/POST /v1/body-measurements`, `GET/PATCH/DELETE
/v1/body-measurements/{measurement_id}`. Their statistics (each kind's series and its 7-day
moving average) are `GET /v1/stats/body`, in app/stats.

* Each kind has its units: body_weight in kg or lb, body_fat in percent, a circumference in
  cm or in; another unit is 422 `invalid_unit`. Without `unit`: the user's preferred weight
  unit for body weight, cm (in for users who prefer lb) for a circumference.
* Values are stored in kg, cm or percent, exactly (1 lb = 0.45359237 kg, 1 in = 2.54 cm), and
  shown in the unit they were entered in, at most 3 decimals: 180.5 lb comes back as 180.5
  lb. Above 0 and at most 700 kg, 100 % or 500 cm (422 `out_of_range`).
* `measured_at` is an instant (default now); `timezone` the IANA zone the user was in
  (default UTC), which sets the local day of the list's `from`/`to`.
* Creates are safe to retry with the client's own `id`, like sessions and sets.
"""

from __future__ import annotations

from litestar import patch

from app.body_measurements.operations import (
    delete_measurement,
    get_measurement,
    list_measurements,
    record_measurement,
    update_measurement,
)
from app.core.resource import FromDay, KindFilter, Resource, ToDay

_NOT_FOUND = "body_measurement_not_found"
_REFUSED = "invalid_unit, out_of_range, invalid_timezone"


MEASUREMENTS = Resource("/v1/body-measurements", "measurement_id", tags=["body measurements"])

index = MEASUREMENTS.index(
    list_measurements,
    filters={
        "kind": (KindFilter, None),
        "from_date": (FromDay, None),
        "to_date": (ToDay, None),
    },
    passed_as={"kind": "kinds"},
    operation_id="listBodyMeasurements",
    summary="List body measurements",
    description="Your body measurements, latest first. `kind` (repeat it for several) keeps "
    "those kinds only; `from` and `to` are calendar days (inclusive) in each measurement's "
    "own time zone. Cursor pagination.",
)
create = MEASUREMENTS.create(
    record_measurement,
    codes={409: "id_conflict", 422: _REFUSED},
    operation_id="recordBodyMeasurement",
    summary="Record a body measurement",
    description="Records one measurement: `kind`, `value` in `unit` (kg or lb for "
    "body_weight, percent for body_fat, cm or in for a circumference; 422 `invalid_unit` "
    "otherwise; default: your preferred weight unit, or cm / in after it), `measured_at` "
    "(default now) and `timezone` (default UTC). Send your own `id` to make the request "
    "safe to retry: a replay answers 200 with the stored measurement.",
)
show = MEASUREMENTS.show(
    get_measurement,
    codes={404: _NOT_FOUND},
    operation_id="getBodyMeasurement",
    summary="Get a body measurement",
    description="One of your body measurements, its value in the unit it was entered in.",
)
update = MEASUREMENTS.write(
    patch,
    update_measurement,
    codes={404: _NOT_FOUND, 422: _REFUSED},
    operation_id="updateBodyMeasurement",
    summary="Correct a body measurement",
    description="Changes the fields given. Changing only `unit` keeps the number and reads "
    "it in the new unit (the fix for a wrongly chosen unit); the unit must still fit the "
    "kind (422 `invalid_unit`).",
)
remove = MEASUREMENTS.remove(
    delete_measurement,
    codes={404: _NOT_FOUND},
    operation_id="deleteBodyMeasurement",
    summary="Delete a body measurement",
    description="Deletes one of your body measurements.",
)
router = MEASUREMENTS.router(index, create, show, update, remove)

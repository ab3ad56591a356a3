"""Realistic demo data for development and benchmarks: `kinetria db seed`.

Every seeded user trains for months: a few workout plans drawn from the system catalogue
(and, for some, their own custom exercises), several sessions a week at their usual time of
day in their own time zone (some running past midnight, some days twice, a few sessions
abandoned, at most one still in progress), and sets whose weights rise over the weeks with
day-to-day noise, warm-ups, drop sets, sets to failure and RPE. Users in the United States
mostly enter pounds, stored exactly in kilograms (1 lb = 0.45359237 kg).

The data are a pure function of (seed, end date, sets per user, user number): each user has a
random generator of their own, seeded from the seed and their number, and every id is a
UUIDv7 built from the row's own time and that generator. The same arguments give identical
rows, ids included, in any database (with the same Python version and time zone database);
user 42 is the same user whether 100 or 10 000 are seeded.

Rows are generated a chunk of users at a time, in a thread, while PostgreSQL loads the previous
chunk with COPY; everything happens in one transaction, so memory stays flat and a failed run
leaves nothing behind. Inside that transaction the indexes, primary and unique keys and
foreign keys of the two big tables (`session_exercises`, `set_records`) are dropped and rebuilt
at the end (which validates every row against them), and those tables are loaded with
COPY FREEZE: about three times faster than maintaining the indexes row by row. A final
VACUUM (ANALYZE) gives the planner its statistics and leaves every page all-visible, so
index-only scans work at once.

The package: `catalogue` and `people` (the data drawn from), `model` (options, report and the
generator's state), `generate`, `session` and `sets` (the rows of a user, a session, an
exercise), `text` and `draw` (COPY text and random draws), `load` (the transaction and COPY).
"""

from app.seed.load import seed_database
from app.seed.model import DEMO_PASSWORD, TABLE_NAMES, SeedError, SeedOptions, SeedReport

__all__ = [
    "DEMO_PASSWORD",
    "TABLE_NAMES",
    "SeedError",
    "SeedOptions",
    "SeedReport",
    "seed_database",
]

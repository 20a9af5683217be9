"""Writes that span several models, as plain functions with keyword-only arguments,
named `<thing>_<action>` and called explicitly by the views, commands and admin.

- `history`: history written in bulk (imports, baselines before a change) and
  when a record last changed.
- `locking`: rows locked in primary-key order before a write that changes many.
- `locations`: initiatives placed from their postcodes after the postcode
  directory is imported.

Curators' decisions on suggestions live with the rest of curation
(`initiatives.curation.services`).
"""

from .history import (
    BASELINE_REASON,
    batches,
    history_baseline,
    history_snapshot,
    last_change,
    when_in_words,
)
from .locations import initiatives_locate
from .locking import database_busy, rows_lock

__all__ = [
    "BASELINE_REASON",
    "batches",
    "database_busy",
    "history_baseline",
    "history_snapshot",
    "initiatives_locate",
    "last_change",
    "rows_lock",
    "when_in_words",
]

"""This container's share of each caller's hourly count of verifications (and of each address's refused
credentials).

A verification budget is large (3,600,000 an hour per caller key), so counting each verification in the shared
counter item would cost a write per verification and cap a caller at one item's write rate (about 1,000/s). A
container counts its callers' verifications itself and adds them to the shared counter in one write every
FLUSH_EVERY (and on a caller's first verification in a window, to learn the shared count). The shared counter lags
by at most FLUSH_EVERY - 1 verifications per container: a caller may go over its budget by that many for each
container serving it at once, and the verifications a container has not yet added are not counted if it ends.
Management budgets (a few thousand an hour) keep counting every request in the shared item. Refused credentials are
counted the same way, per source address (Budget.REFUSED), so a flood of bad keys costs a write per FLUSH_EVERY.
"""

from __future__ import annotations

from dataclasses import dataclass

from keytally.auth.rate_limit import Budget, Window
from keytally.storage import rate_limits

FLUSH_EVERY = 50
_MAX_CALLERS = 10_000  # callers remembered by one container before it starts afresh


@dataclass
class _Tally:
    window: str
    shared: int = 0  # the shared count as of this container's last write
    pending: int = 0  # counted here since
    written: bool = False


_tallies: dict[tuple[Budget, str], _Tally] = {}


def count(caller: str, budget: Budget, window: Window, limit: int) -> int | None:
    """Counts one call of the caller against the budget; the count as this container knows it, or None (nothing
    counted) when that has reached the limit."""
    tally = _tallies.get((budget, caller))
    if tally is None or tally.window != window.label:
        if len(_tallies) >= _MAX_CALLERS:
            _tallies.clear()
        tally = _tallies[(budget, caller)] = _Tally(window.label)
    if tally.shared + tally.pending >= limit:
        return None
    tally.pending += 1
    if tally.pending >= FLUSH_EVERY or not tally.written:
        tally.shared = rate_limits.add_requests(
            caller, budget.value, window.label, tally.pending, window.expires_epoch()
        )
        tally.pending, tally.written = 0, True
    return tally.shared + tally.pending

"""The main contract behind a product's alias (``rb888.SHFE``), decided once per
trading day from the previous trading day's closes.

The rule (docs/universe.md), chosen so that the alias follows the market's own roll
but never flips back and forth on a day's noise:

- The leader is the month with the highest open interest; ties go to the higher
  volume, then to the nearer month.
- The first decision (no current contract) takes the leader.
- A current contract without a close (expired, or no longer carried) gives way to the
  leader among the months later than it, or to the leader when no later month has a
  close.
- Otherwise the alias moves to the leader only when the leader is a LATER month than
  the current one, its open interest exceeds :data:`ROLL_RATIO` times the current's
  and its volume exceeds the current's too. It never moves to an earlier month, so it
  never moves back.

Deciding once per trading day, from closes rather than from live ticks, means every
client sees the same contract behind the alias the whole day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from tickhub_contracts.messages import DayClose

from .entries import month_of

ROLL_RATIO = 1.1
"""How much more open interest a later month needs before the alias moves to it: the
margin that keeps two months of about equal open interest from trading places daily."""


@dataclass(frozen=True)
class Decision:
    """The contract behind the alias today; ``changed`` when it is not the current
    one; ``reason`` says why, with the numbers, for the log and the api."""

    vt_symbol: str
    changed: bool
    reason: str


def _month(vt_symbol: str, today: date) -> int | None:
    return month_of(vt_symbol.rpartition(".")[0], today)


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _described(vt_symbol: str, close: DayClose) -> str:
    return f"{vt_symbol} (open interest {_n(close.open_interest)}, volume {_n(close.volume)})"


def decide(current: str | None, closes: Mapping[str, DayClose], *, today: date) -> Decision | None:
    """Today's main contract of one product from its months' ``closes`` at the end of
    the previous trading day (rules in the module's docstring). ``current``: the
    contract the alias named until now, None the first time. None when no close has
    a delivery month (no close at all): nothing to decide from, the alias keeps what
    it had. ``today`` places CZCE's three-digit months in their decade."""
    months = {vt: month for vt in closes if (month := _month(vt, today)) is not None}
    if not months:
        return None

    def rank(vt: str) -> tuple[float, float, int, str]:
        close = closes[vt]
        return (-close.open_interest, -close.volume, months[vt], vt)

    leader = min(months, key=rank)
    if current is None:
        return Decision(leader, True, f"first decision: {_described(leader, closes[leader])} leads")
    if current not in months:
        current_month = _month(current, today)
        later = [vt for vt in months if current_month is not None and months[vt] > current_month]
        if later:
            chosen = min(later, key=rank)
            why = f"{_described(chosen, closes[chosen])} leads the later months"
        else:
            chosen = leader
            why = f"no later month has one; {_described(chosen, closes[chosen])} leads"
        return Decision(
            chosen,
            chosen != current,
            f"{current} has no close (expired or no longer carried): {why}",
        )
    if leader == current:
        return Decision(current, False, f"{_described(current, closes[current])} leads")
    now, lead = closes[current], closes[leader]
    if months[leader] <= months[current]:
        return Decision(
            current,
            False,
            f"{current} stays: the leader {_described(leader, lead)} is not a later month",
        )
    more_interest = lead.open_interest > ROLL_RATIO * now.open_interest
    more_volume = lead.volume > now.volume
    comparison = (
        f"{leader}: open interest {_n(lead.open_interest)} "
        f"{'>' if more_interest else '<='} {ROLL_RATIO:g} × {current}'s "
        f"{_n(now.open_interest)} and volume {_n(lead.volume)} "
        f"{'>' if more_volume else '<='} {_n(now.volume)}"
    )
    if more_interest and more_volume:
        return Decision(leader, True, comparison)
    return Decision(current, False, f"{current} stays, {comparison}")

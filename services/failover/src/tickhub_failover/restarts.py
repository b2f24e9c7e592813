"""When to hard-restart a failed source: the restart policy, pure (no clock, no bus).

* A source UNHEALTHY for ``cooldown_s`` is restarted (attempt 1). If it fails again,
  attempt n waits ``cooldown_s * 2**(n-1)``, capped at ``backoff_max_s``, counted from
  its new failure (or from the previous order, whichever is later).
* After an order nothing more is ordered until the new process has been judged: the
  health service shows it STARTING/RECOVERING and then HEALTHY or UNHEALTHY again. If
  no verdict about it comes within ``startup_grace_s`` the attempt counts as failed.
* HEALTHY (or MARKET_CLOSED) for ``reset_s`` forgets the attempts.
* Never restarted: a source STOPPED (by an operator, disabled, removed), a rejected
  login (``login_rejected``/``needs_operator``: brokers lock an account after a few
  failed logins, so it is announced once for the operator instead), MARKET_CLOSED,
  and a canary silent outside its session. DEGRADED is not a failure either.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from tickhub_contracts.messages import ROUTABLE_STATES, RestartAction, SourceHealth
from tickhub_runtime.settings import Settings

MAX_DOUBLINGS = 4096
"""Past any float: 2**4096 times the smallest positive cool-down overflows to the cap."""


@dataclass(frozen=True, slots=True)
class RestartSettings:
    cooldown_s: float
    backoff_max_s: float
    reset_s: float
    startup_grace_s: float

    @classmethod
    def of(cls, settings: Settings) -> RestartSettings:
        return cls(
            cooldown_s=settings.restart_cooldown_s,
            backoff_max_s=settings.restart_backoff_max_s,
            reset_s=settings.restart_reset_s,
            startup_grace_s=settings.startup_grace_s,
        )


def backoff_s(attempt: int, cooldown_s: float, max_s: float) -> float:
    """How long a source must be UNHEALTHY before restart ``attempt`` (1-based)."""
    doublings = min(max(attempt - 1, 0), MAX_DOUBLINGS)
    try:
        return min(math.ldexp(cooldown_s, doublings), max_s)
    except OverflowError:
        return max_s


@dataclass(frozen=True, slots=True)
class Restart:
    """Order a hard restart of ``source`` now."""

    source: str
    attempt: int
    reason: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to announce as a RestartEvent (no order)."""

    source: str
    action: RestartAction
    attempt: int
    reason: str
    next_in_s: float | None = None


Action = Restart | Notice


@dataclass
class _Track:
    attempts: int = 0
    """Restarts ordered since the source was last HEALTHY for reset_s."""
    unhealthy_since: dt.datetime | None = None
    ordered_at: dt.datetime | None = None
    awaiting: bool = False
    """An order went out and the new process has not been judged yet."""
    succeeded: bool = True
    """The newest order has been followed by a HEALTHY verdict (announced)."""
    healthy_since: dt.datetime | None = None
    told_operator: bool = False
    told_backoff: int = 0
    """The attempt whose backing_off was announced (once per attempt)."""


@dataclass
class RestartPolicy:
    settings: RestartSettings
    _tracks: dict[str, _Track] = field(default_factory=dict)

    def attempts(self, source: str) -> int:
        track = self._tracks.get(source)
        return 0 if track is None else track.attempts

    def step(self, health: Mapping[str, SourceHealth], now: dt.datetime) -> list[Action]:
        """What to do now, given the newest verdict of every source (by source)."""
        for gone in self._tracks.keys() - health.keys():
            del self._tracks[gone]
        actions: list[Action] = []
        for name in sorted(health):
            track = self._tracks.setdefault(name, _Track())
            actions.extend(self._judge(track, health[name], now))
        return actions

    def refused(self, source: str) -> None:
        """The manager said no to (or never answered) the newest order: nothing was
        restarted, so there is no new process to wait for; the next attempt still
        waits its backoff from the order."""
        track = self._tracks.get(source)
        if track is not None:
            track.awaiting = False
            track.succeeded = True

    def next_due(self, health: Mapping[str, SourceHealth], now: dt.datetime) -> dt.datetime | None:
        """The earliest moment :meth:`step` may act without news."""
        dues: list[dt.datetime] = []
        cfg = self.settings
        for name, track in self._tracks.items():
            verdict = health.get(name)
            if verdict is None:
                continue
            if track.healthy_since is not None and track.attempts:
                dues.append(track.healthy_since + dt.timedelta(seconds=cfg.reset_s))
            if track.unhealthy_since is None:
                continue
            if track.awaiting and track.ordered_at is not None:
                dues.append(track.ordered_at + dt.timedelta(seconds=cfg.startup_grace_s))
            else:
                dues.append(self._due(track))
        return min((due for due in dues if due > now), default=None)

    def _due(self, track: _Track) -> dt.datetime:
        assert track.unhealthy_since is not None
        anchor = track.unhealthy_since
        if track.ordered_at is not None and track.ordered_at > anchor:
            anchor = track.ordered_at
        cfg = self.settings
        wait = backoff_s(track.attempts + 1, cfg.cooldown_s, cfg.backoff_max_s)
        return anchor + dt.timedelta(seconds=wait)

    def _judge(self, track: _Track, verdict: SourceHealth, now: dt.datetime) -> list[Action]:
        name = verdict.source
        cfg = self.settings
        since = min(verdict.since, now)
        if verdict.state in ROUTABLE_STATES:
            track.unhealthy_since = None
            track.told_operator = False
            track.told_backoff = 0
            if track.healthy_since is None:
                track.healthy_since = since
            actions: list[Action] = []
            if not track.succeeded:
                track.succeeded = True
                track.awaiting = False
                actions.append(
                    Notice(
                        name,
                        "succeeded",
                        track.attempts,
                        f"{verdict.state} again after restart {track.attempts}",
                    )
                )
            held = (now - track.healthy_since).total_seconds()
            if track.attempts and held >= cfg.reset_s:
                track.attempts = 0
                track.ordered_at = None
            return actions
        track.healthy_since = None
        if verdict.state != "UNHEALTHY":
            # STARTING/RECOVERING: the (new) process is being judged; DEGRADED works;
            # STOPPED is intended. None of them is a reason to restart.
            track.unhealthy_since = None
            if verdict.state in ("STARTING", "RECOVERING"):
                track.awaiting = False
            elif verdict.state == "STOPPED":
                # An operator (or a removed account) took over: what comes next is
                # not the outcome of our order.
                track.awaiting = False
                track.succeeded = True
            return []
        if verdict.cause == "login_rejected" or verdict.needs_operator:
            track.awaiting = False
            track.unhealthy_since = None
            if track.told_operator:
                return []
            track.told_operator = True
            return [
                Notice(
                    name,
                    "needs_operator",
                    track.attempts,
                    f"not restarted: {verdict.cause}: {verdict.reason}",
                )
            ]
        if verdict.cause == "canary_stale" and not verdict.in_session:
            track.unhealthy_since = None
            return []  # silence outside the session is no failure
        if track.unhealthy_since is None or since > track.unhealthy_since:
            track.unhealthy_since = since
        if track.awaiting:
            assert track.ordered_at is not None
            if track.unhealthy_since > track.ordered_at:
                track.awaiting = False  # the new process was judged, and failed
            elif (now - track.ordered_at).total_seconds() < cfg.startup_grace_s:
                return []  # give the new process its startup grace
            else:
                track.awaiting = False  # no word of a new process within its grace
        attempt = track.attempts + 1
        due = self._due(track)
        failed_for = (now - track.unhealthy_since).total_seconds()
        if now >= due:
            track.attempts = attempt
            track.ordered_at = now
            track.awaiting = True
            track.succeeded = False
            return [
                Restart(
                    name,
                    attempt,
                    f"UNHEALTHY ({verdict.cause}) for {failed_for:.1f} s: {verdict.reason}",
                )
            ]
        if attempt > 1 and track.told_backoff != attempt:
            track.told_backoff = attempt
            wait = backoff_s(attempt, cfg.cooldown_s, cfg.backoff_max_s)
            return [
                Notice(
                    name,
                    "backing_off",
                    attempt,
                    f"UNHEALTHY ({verdict.cause}) again after {attempt - 1} restart(s); "
                    f"attempt {attempt} waits {wait:g} s",
                    next_in_s=round((due - now).total_seconds(), 3),
                )
            ]
        return []

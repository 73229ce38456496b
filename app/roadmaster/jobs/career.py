"""Career state: the running totals behind the achievements, advanced job by job.

:func:`roadmaster.jobs.achievements.evaluate` replays the whole history, which is
the definition of when an achievement unlocks but costs a scan of every job.  A
:class:`Career` is the same fold, kept between jobs: the achievements' own tally
(so the rules are not written twice), the id of the newest job folded in, and the
open jobs it had to skip.  :meth:`Career.advance` folds only the jobs finished
since, checks the rules after each one, and returns what unlocked at which job —
exactly what ``evaluate`` over the full history would return, job by job
(``tests/jobs/test_career.py`` holds the two to that).

Pure: no I/O.  ``storage.history`` reads the new jobs and stores the state
(:meth:`Career.to_json`) in the settings table.  A Career is immutable: ``advance``
returns a new one, so a snapshot may be handed to another thread.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from roadmaster.jobs.achievements import RULES, Progress, Unlocked, _Tally
from roadmaster.jobs.standings import FinishedJob
from roadmaster.telemetry.frame import Game

#: Bump when the stored shape changes; a stored state of another format is rebuilt.
CAREER_FORMAT: Final = 1


def _fingerprint() -> tuple[str, ...]:
    """What a stored tally was built for: the rules and the tally's fields.  A new
    rule (a later version) or a changed tally means a rebuild from the history, so a
    new achievement unlocks at the job where it first held, as ``evaluate`` says."""
    tally_fields = (f"tally:{f.name}" for f in dataclasses.fields(_Tally))
    return (*sorted(r.achievement.id for r in RULES), *tally_fields)


FINGERPRINT: Final = _fingerprint()


@dataclass(frozen=True, slots=True)
class Career:
    """The achievements' running totals over the jobs folded in so far.

    ``last_job_id`` is the largest ``jobs.id`` folded; ``open_ids`` are ids below
    it that were still open at the last fold (a job resumed after a restart can end
    after newer rows were added, e.g. by ``demo-data``), so they are picked up when
    they finish.
    """

    last_job_id: int = 0
    jobs_folded: int = 0
    open_ids: frozenset[int] = frozenset()
    # Never mutated once the Career exists: advance() folds into a copy.
    _tally: _Tally = field(default_factory=_Tally, repr=False, compare=False)

    # --- folding --------------------------------------------------------------------

    def advance(
        self,
        jobs: Iterable[tuple[int, FinishedJob]],
        already_unlocked: Collection[str],
        *,
        open_ids: Iterable[int] = (),
    ) -> tuple[Career, list[Unlocked]]:
        """Fold ``jobs`` (``(jobs.id, job)`` in chronological order, each finished job
        exactly once) and return the new career with the achievements they unlocked,
        each with the job after which its condition first held.

        ``open_ids``: the ids below the new ``last_job_id`` that are still open."""
        tally = copy.deepcopy(self._tally)
        pending = [r for r in RULES if r.achievement.id not in already_unlocked]
        unlocked: list[Unlocked] = []
        last_id, folded = self.last_job_id, self.jobs_folded
        for job_id, job in jobs:
            tally.add(job)
            if pending:
                still = []
                for rule in pending:
                    if rule.measure(tally) >= rule.achievement.target:
                        unlocked.append(Unlocked(rule.achievement, job, folded))
                    else:
                        still.append(rule)
                pending = still
            folded += 1
            last_id = max(last_id, job_id)
        career = Career(
            last_job_id=last_id,
            jobs_folded=folded,
            open_ids=frozenset(i for i in open_ids if i < last_id),
            _tally=tally,
        )
        return career, unlocked

    def progress(self, game: Game | None = None) -> list[Progress]:
        """Current vs target of every achievement (optionally the all-games ones and
        ``game``'s own), from the running totals: no history scan."""
        return [
            Progress(rule.achievement, float(rule.measure(self._tally)), rule.achievement.target)
            for rule in RULES
            if game is None or rule.achievement.game in (None, game)
        ]

    # --- storing -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """A JSON value for the settings table."""
        return {
            "format": CAREER_FORMAT,
            "fingerprint": list(FINGERPRINT),
            "last_job_id": self.last_job_id,
            "jobs_folded": self.jobs_folded,
            "open_ids": sorted(self.open_ids),
            "tally": {f.name: _plain(getattr(self._tally, f.name)) for f in _TALLY_FIELDS},
        }

    @classmethod
    def from_json(cls, value: object) -> Career | None:
        """The career stored by :meth:`to_json`, or None when it cannot be used (none
        stored, another format or rule set, damaged): the caller then rebuilds it
        from the history by advancing an empty Career over every finished job."""
        if not isinstance(value, Mapping) or value.get("format") != CAREER_FORMAT:
            return None
        if tuple(value.get("fingerprint") or ()) != FINGERPRINT:
            return None
        try:
            stored = value["tally"]
            tally = _Tally()
            for f in _TALLY_FIELDS:
                setattr(tally, f.name, _restore(getattr(tally, f.name), stored[f.name]))
            return cls(
                last_job_id=int(value["last_job_id"]),
                jobs_folded=int(value["jobs_folded"]),
                open_ids=frozenset(int(i) for i in value["open_ids"]),
                _tally=tally,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


_TALLY_FIELDS: Final = dataclasses.fields(_Tally)


def _plain(value: object) -> object:
    """A tally field as JSON: per-game dicts keyed by the game's value, sets sorted."""
    if isinstance(value, dict):
        return {str(getattr(k, "value", k)): _plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(value)
    return value


def _restore(template: object, stored: object) -> object:
    """The inverse of :func:`_plain`, shaped like the fresh tally's ``template``
    (every per-game dict of the tally is keyed by :class:`Game`)."""
    if isinstance(template, dict):
        if not isinstance(stored, Mapping):
            raise TypeError("a per-game total is not a mapping")
        return {Game(k): _restore_value(v) for k, v in stored.items()}
    if isinstance(template, bool) or not isinstance(template, int | float):
        raise TypeError(f"unexpected tally field {template!r}")
    if not isinstance(stored, int | float) or isinstance(stored, bool):
        raise TypeError("a tally counter is not a number")
    return type(template)(stored)


def _restore_value(stored: object) -> object:
    if isinstance(stored, list):
        return {str(v) for v in stored}
    if isinstance(stored, int | float) and not isinstance(stored, bool):
        return stored
    raise TypeError("unexpected per-game total")


def rebuild(
    history: Sequence[tuple[int, FinishedJob]], already_unlocked: Collection[str]
) -> tuple[Career, list[Unlocked]]:
    """The career over a whole history (chronological), from nothing."""
    return Career().advance(history, already_unlocked)

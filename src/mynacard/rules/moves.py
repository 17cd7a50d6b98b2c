"""Deadlines of a move to another municipality (転出・転入・継続利用, R_CARD_8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

MOVE_IN_NOTICE_DAYS = 14  # moving-in notice within 14 days of moving in
AFTER_PLANNED_MOVE_OUT_DAYS = 30  # ... and within 30 days of the planned moving-out date
CONTINUED_USE_DAYS = 90  # card presented within 90 days of the moving-in notice


@dataclass(frozen=True)
class MoveCheck:
    """Whether a moving-in notice keeps the card alive, and until when it must be presented."""

    ok: bool
    reason: str  # "" when ok; otherwise what deadline was missed
    present_by: date | None


def moving_in_deadline(moved_in_on: date, planned_move_out_on: date) -> date:
    """Last day on which the moving-in notice keeps the card valid: the earlier of the two limits."""
    return min(
        moved_in_on + timedelta(days=MOVE_IN_NOTICE_DAYS),
        planned_move_out_on + timedelta(days=AFTER_PLANNED_MOVE_OUT_DAYS),
    )


def check_moving_in(moved_in_on: date, planned_move_out_on: date, notice_on: date) -> MoveCheck:
    """R_CARD_8: the notice must come within 14 days of moving in and 30 days of the planned
    moving-out date; the card is then to be presented within 90 days of the notice."""
    if notice_on < moved_in_on:
        raise ValueError("the moving-in notice cannot precede the move")
    if notice_on > moved_in_on + timedelta(days=MOVE_IN_NOTICE_DAYS):
        return MoveCheck(False, "moving-in notice more than 14 days after moving in", None)
    if notice_on > planned_move_out_on + timedelta(days=AFTER_PLANNED_MOVE_OUT_DAYS):
        return MoveCheck(False, "moving-in notice more than 30 days after the planned moving-out date", None)
    return MoveCheck(True, "", notice_on + timedelta(days=CONTINUED_USE_DAYS))


def continued_use_deadline(notice_on: date) -> date:
    return notice_on + timedelta(days=CONTINUED_USE_DAYS)

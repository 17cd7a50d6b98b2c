"""A change the store's constraints refuse is reported by what the constraint protects and its
name, from PostgreSQL's diagnostics or SQLite's message, never with the statement's values."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import IntegrityError

from mynacard.services.context import _constraint


class _PgError(Exception):
    """What psycopg raises: the constraint's name in ``diag``."""

    def __init__(self, text: str, constraint_name: str | None) -> None:
        super().__init__(text)
        self.diag = SimpleNamespace(constraint_name=constraint_name)


def _refused(orig: BaseException | None) -> IntegrityError:
    return IntegrityError("INSERT INTO cards ...", {"individual_number": "123456789018"}, orig)


@pytest.mark.parametrize(
    ("name", "explained"),
    [
        ("uq_cards_one_current", "a resident has at most one card in effect: uq_cards_one_current"),
        ("uq_residents_number_hash", "an individual number belongs to one resident: uq_residents_number_hash"),
        ("fk_cards_resident", "fk_cards_resident"),  # not one of the invariants: the name alone
    ],
)
def test_postgresql_constraint_named_from_its_diagnostics(name, explained):
    text = "duplicate key value violates unique constraint\nDETAIL: Key (number_hash)=(abc) already exists."
    assert _constraint(_refused(_PgError(text, name))) == explained


def test_postgresql_error_without_a_constraint_name_says_nothing():
    assert _constraint(_refused(_PgError("null value in column\nDETAIL: row 123456789018", None))) == ""


@pytest.mark.parametrize(
    ("text", "explained"),
    [
        ("UNIQUE constraint failed: cards.resident_id",
         "a resident has at most one card in effect and one being made: cards.resident_id"),
        ("UNIQUE constraint failed: residents.number_hash\nsecond line: certificates.serial",
         "an individual number belongs to one resident: residents.number_hash"),
        ("CHECK constraint failed: amount: positive", "amount: positive"),
        ("CHECK constraint failed: " + "c" * 100, "c" * 80),
        ("NOT NULL constraint failed:  cards.state ", "cards.state"),
        ("FOREIGN KEY constraint failed", "FOREIGN KEY constraint failed"),  # SQLite names no constraint here
    ],
)
def test_sqlite_constraint_named_from_its_message(text, explained):
    assert _constraint(_refused(sqlite3.IntegrityError(text))) == explained


def test_sqlite_message_naming_no_constraint_says_nothing():
    assert _constraint(_refused(sqlite3.IntegrityError("datatype mismatch: 123456789018"))) == ""


def test_error_without_a_driver_error_says_nothing():
    assert _constraint(_refused(None)) == ""


def test_a_driver_error_with_an_empty_message_says_nothing():
    assert _constraint(_refused(sqlite3.IntegrityError(""))) == ""

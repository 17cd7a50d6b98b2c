"""Identity check at hand-over: one photo ID, or two other documents (R_CARD_1)."""

from __future__ import annotations

import pytest

from mynacard.rules.identity import OTHER_DOCUMENTS, PHOTO_IDS, identity_error

ENOUGH = [
    (["drivers_license"], "one photo ID"),
    (["passport"], "passport"),
    (["residence_card"], "residence card"),
    (["health_insurance_card", "pension_book"], "two other documents"),
    (["student_id", "issue_notice", "bank_book"], "three other documents"),
    (["mynumber_card", "passport"], "the new card plus a photo ID"),
]
NOT_ENOUGH = [
    ([], "nothing"),
    (["health_insurance_card"], "one other document"),
    (["health_insurance_card", "health_insurance_card"], "the same document twice"),
    (["mynumber_card"], "the card being handed over is no ID for itself"),
    (["mynumber_card", "pension_book"], "the card and one other document"),
]


@pytest.mark.parametrize("documents", [e[0] for e in ENOUGH], ids=[e[1] for e in ENOUGH])
def test_identity_proven_R_CARD_1(documents: list[str]) -> None:
    assert identity_error(documents) is None


@pytest.mark.parametrize("documents", [n[0] for n in NOT_ENOUGH], ids=[n[1] for n in NOT_ENOUGH])
def test_identity_not_proven_R_CARD_1(documents: list[str]) -> None:
    error = identity_error(documents)
    assert error is not None and "one photo ID, or two other documents" in error


def test_unknown_document_is_named_R_CARD_1() -> None:
    error = identity_error(["passport", "library_card"])
    assert error is not None and "library_card" in error


def test_photo_ids_and_other_documents_are_disjoint_R_CARD_1() -> None:
    assert not PHOTO_IDS & OTHER_DOCUMENTS

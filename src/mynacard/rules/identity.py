"""Identity check at hand-over (R_CARD_1): one photo ID, or two other documents."""

from __future__ import annotations

PHOTO_IDS = frozenset(
    {
        "mynumber_card",  # the card being handed over (face photo) — not enough alone at first issue
        "drivers_license",  # 運転免許証
        "passport",  # 旅券
        "residence_card",  # 在留カード
        "special_permanent_resident_certificate",  # 特別永住者証明書
        "disability_certificate",  # 身体障害者手帳
        "driving_history_certificate",  # 運転経歴証明書
    }
)
OTHER_DOCUMENTS = frozenset(
    {
        "health_insurance_card",  # 健康保険証 / 資格確認書
        "pension_book",  # 年金手帳
        "notification_card",  # 通知カード
        "student_id",  # 学生証
        "bank_book",  # 預金通帳
        "medical_certificate",  # 医療受給者証
        "issue_notice",  # 交付通知書
    }
)


def identity_error(documents: list[str]) -> str | None:
    """Why ``documents`` do not prove identity at hand-over, or None if they do."""
    unknown = [d for d in documents if d not in PHOTO_IDS | OTHER_DOCUMENTS]
    if unknown:
        return f"unknown identity document(s): {', '.join(unknown)}"
    photo = [d for d in documents if d in PHOTO_IDS and d != "mynumber_card"]
    other = [d for d in documents if d in OTHER_DOCUMENTS]
    if photo or len(set(other)) >= 2:
        return None
    return "identity needs one photo ID, or two other documents (R_CARD_1)"

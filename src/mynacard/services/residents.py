"""The resident registry as the card system sees it (住民基本台帳), and number reads (R_NUM_3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from mynacard.db import repositories as repo
from mynacard.db.models import WINDOW_DEFAULT, Municipality, NumberRead, Resident
from mynacard.errors import NotFoundError, StateError, ValidationError
from mynacard.ids import IndividualNumber, municipality_code
from mynacard.rules import wareki
from mynacard.rules.fees import FeeSchedule
from mynacard.rules.text import check_text
from mynacard.services.context import Work

SEXES = {"1": "男", "2": "女", "9": "不明"}

#: R_NUM_3: the purposes for which the law allows a number to be read or copied.
NUMBER_PURPOSES = {
    "social_security": "社会保障",
    "tax": "税",
    "disaster": "災害対策",
    "card_issuance": "個人番号カードの交付事務",
}

#: Statuses whose card is not bound to the period of stay (R_CARD_9).
UNBOUND_STATUSES = {"permanent_resident", "highly_skilled_professional_ii", "special_permanent_resident"}


#: R_LOSS_3 [policy]: what finding a lost card does to its held certificates.
FOUND_POLICIES = {"release": "一時保留を解除", "reissue": "失効させて再発行"}
#: A new municipality's settings unless given: holds released, the R_LOSS_4 default fees.
DEFAULT_SETTINGS = {"found_policy": "release", "card_fee": FeeSchedule.card, "cert_fee": FeeSchedule.certificates}


def add_municipality(w: Work, code: str, name: str, prefecture: str, *, address: str = "",
                     window: str | None = None, phone: str = "", found_policy: str | None = None,
                     card_fee: int | None = None, cert_fee: int | None = None) -> Municipality:
    """Register a municipality; ``address``, ``window`` (担当窓口) and ``phone`` head its documents.
    ``found_policy`` (R_LOSS_3) and the reissue fees (R_LOSS_4) are its settings: given for a
    municipality already registered, they change it (recorded in the event log)."""
    code = municipality_code(code)
    settings = _settings(found_policy, card_fee, cert_fee)
    m = repo.municipality(w.session, code)
    if m is None:
        m = Municipality(code=code, name=name, prefecture=prefecture, address=address,
                         window=window or WINDOW_DEFAULT, phone=phone, **{**DEFAULT_SETTINGS, **settings})
        w.session.add(m)
        w.log("municipality_added", code=code, name=name)
        return m
    changed = {k: v for k, v in settings.items() if getattr(m, k) != v}
    if changed:
        for k, v in changed.items():
            setattr(m, k, v)
        w.log("municipality_settings_changed", code=code, **changed)
    return m


def _settings(found_policy: str | None, card_fee: int | None, cert_fee: int | None) -> dict[str, object]:
    if found_policy is not None and found_policy not in FOUND_POLICIES:
        raise ValidationError(
            "found_policy",
            f"The policy when a lost card is found is 'release' or 'reissue', not {found_policy!r}.",
            "紛失したカードが見つかったときの扱いは release(保留解除) か reissue(失効・再発行) です。",
        )
    for field, fee in (("card_fee", card_fee), ("cert_fee", cert_fee)):
        if fee is not None and (isinstance(fee, bool) or not isinstance(fee, int) or not 0 <= fee <= 100_000):
            raise ValidationError(
                field, f"A fee is a whole number of yen from 0 to 100000, not {fee!r}.",
                "手数料は0円から100000円までの整数で指定してください。",
            )
    given = {"found_policy": found_policy, "card_fee": card_fee, "cert_fee": cert_fee}
    return {k: v for k, v in given.items() if v is not None}


def get(w: Work, resident_id: int, *, for_update: bool = False) -> Resident:
    """The resident; ``for_update`` locks the row (and reads it afresh) for a check-then-change."""
    r = repo.resident(w.session, resident_id, for_update=for_update)
    if r is None:
        raise NotFoundError(
            f"No resident with ID {resident_id}. Find the resident first (mynacard resident find).",
            f"住民ID {resident_id} の住民は登録されていません。",
            resident_id=resident_id,
        )
    return r


def check_birth_date(birth: date, today: date) -> None:
    if birth > today:
        raise ValidationError(
            "birth_date",
            f"The date of birth {birth} is in the future (today is {today}); check it.",
            "生年月日が未来の日付です。確認してください。",
        )
    if birth.year < 1868:
        raise ValidationError(
            "birth_date", f"The date of birth {birth} is before 1868.", "生年月日が正しくありません。"
        )


def parse_date(field: str, text: str | date) -> date:
    """A date as the window takes it, 西暦 or 和暦 (``rules.wareki.parse_date``)."""
    return wareki.parse_date(text, field)


def register(
    w: Work,
    *,
    individual_number: str,
    name: str,
    address: str,
    birth_date: date | str,
    sex: str,
    municipality_code: str,
    name_kana: str | None = None,
    nationality: str = "JP",
    residence_status: str | None = None,
    period_of_stay_end: date | str | None = None,
    adult_ward: bool = False,
) -> Resident:
    """Register a resident of ``municipality_code`` (the basic four attributes and the number)."""
    for field, text in (("name", name), ("address", address), ("name_kana", name_kana),
                        ("residence_status", residence_status), ("nationality", nationality)):
        if text is not None:
            check_text(field, text)
    number = IndividualNumber(individual_number)
    birth = parse_date("birth_date", birth_date)
    check_birth_date(birth, w.today)
    if sex not in SEXES:
        raise ValidationError(
            "sex",
            f"Sex must be 1 (male), 2 (female) or 9 (not known), not {sex!r}.",
            "性別は 1(男)、2(女)、9(不明) のいずれかです。",
        )
    if not name.strip() or not address.strip():
        raise ValidationError("name", "Name and address must not be empty.", "氏名と住所を入力してください。")
    if repo.municipality(w.session, municipality_code) is None:
        raise NotFoundError(
            f"Unknown municipality {municipality_code}: add it first (mynacard municipality add).",
            "市区町村が登録されていません。",
            municipality_code=municipality_code,
        )
    if repo.resident_by_number(w.session, number) is not None:
        raise StateError(
            "A resident with this individual number is already registered.",
            "この個人番号の住民はすでに登録されています。",
        )
    stay_end = parse_date("period_of_stay_end", period_of_stay_end) if period_of_stay_end else None
    if nationality == "JP" and stay_end is not None:
        raise ValidationError(
            "period_of_stay_end", "Japanese nationals have no period of stay.", "日本国籍の方に在留期間はありません。"
        )
    if residence_status in UNBOUND_STATUSES:
        stay_end = None
    r = Resident(
        **repo.number_columns(w.session, number),
        name=name.strip(),
        name_kana=name_kana,
        address=address.strip(),
        birth_date=birth,
        sex=sex,
        municipality_code=municipality_code,
        nationality=nationality,
        residence_status=residence_status,
        period_of_stay_end=stay_end,
        adult_ward=adult_ward,
        created_at=w.at,
    )
    w.session.add(r)
    w.session.flush()
    w.log("resident_registered", resident_id=r.id, municipality=municipality_code)
    return r


def read_number(w: Work, resident_id: int, purpose: str) -> IndividualNumber:
    """Read a resident's number for a purpose the law allows, recording who, when, why (R_NUM_3)."""
    if purpose not in NUMBER_PURPOSES:
        raise ValidationError(
            "purpose",
            f"Reading an individual number needs a lawful purpose: one of {', '.join(NUMBER_PURPOSES)} (R_NUM_3).",
            "個人番号の利用目的(社会保障・税・災害対策など)を指定してください。",
        )
    r = get(w, resident_id)
    w.session.add(NumberRead(at=w.at, actor=w.actor, resident_id=r.id, purpose=purpose))
    w.log("number_read", resident_id=r.id, purpose=purpose)
    return IndividualNumber(repo.number_of(r))


def number_history(w: Work, resident_id: int) -> Sequence[NumberRead]:
    """Who read the holder's number, when and why: the holder can see this (R_NUM_3)."""
    get(w, resident_id)
    return repo.number_reads(w.session, resident_id)


def find(
    w: Work, *, individual_number: str | None = None, name: str | None = None, birth_date: date | None = None
) -> Sequence[Resident]:
    if individual_number:
        r = repo.resident_by_number(w.session, IndividualNumber(individual_number))
        return [r] if r else []
    return repo.find_residents(w.session, name=name, birth_date=birth_date)

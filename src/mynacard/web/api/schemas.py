"""Request bodies and path parameters of the API, with their limits (so bad input is a 422
with a message per field, never a 500 from deep inside)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mynacard.errors import ValidationError
from mynacard.rules.fees import ReissueReason
from mynacard.rules.text import check_all
from mynacard.rules.wareki import parse_date
from mynacard.services.residents import NUMBER_PURPOSES
from mynacard.timeutil import check_simulated

MIN_DAY, MAX_DAY = date(1868, 1, 1), date(2200, 12, 31)


#: What a date field of the API accepts (the window's forms take the same).
DATE_FORMS = "ISO 2026-11-28, 20261128, 2026/11/28, or 和暦 such as 令和8年11月28日, R8.11.28, 平成元年1月8日"


def _read_day(value: object, info: ValidationInfo) -> object:
    """A date as ISO or 和暦 (``rules.wareki.parse_date``); the error names the field, says
    what is wrong and lists the accepted forms (never echoing the input)."""
    if not isinstance(value, str):
        return value  # a date object, or JSON of another type: pydantic refuses it as before
    field = info.field_name or "date"
    if len(value) > 40:
        raise PydanticCustomError("date_format", "{field}: too long for a date. Accepted: {forms}.",
                                  {"field": field, "forms": DATE_FORMS})
    try:
        return parse_date(value, field)
    except ValidationError as e:
        raise PydanticCustomError(
            "date_format", "{field}: not a date ({reason}). Accepted: {forms}.",
            {"field": field, "reason": str(e.fields.get("reason", "unreadable")), "forms": DATE_FORMS,
             "reason_ja": str(e.fields.get("reason_ja", ""))}) from None


def _day(d: date) -> date:
    if not MIN_DAY <= d <= MAX_DAY:
        raise ValueError(f"the date must be between {MIN_DAY} and {MAX_DAY}")
    return d


#: A date of a body or a query: ISO (2026-11-28) or 和暦 (令和8年11月28日, R8.11.28).
Day = Annotated[
    date,
    BeforeValidator(_read_day),
    AfterValidator(_day),
    WithJsonSchema({"type": "string", "examples": ["2026-11-28", "令和8年11月28日", "R8.11.28"],
                    "description": f"A date: {DATE_FORMS}"}),
]
ResidentId = Annotated[int, Path(ge=1, le=2_147_483_647, description="住民ID")]
CardId = Annotated[str, Path(pattern=r"^[0-9A-F]{12}$", description="カードID (12 hex digits)")]
CertKindP = Annotated[Literal["sign", "auth"], Path(description="sign 署名用 / auth 利用者証明用")]
PinKind = Annotated[Literal["sign", "auth", "resident", "card_info"], Path()]
Text100 = Annotated[str, Field(min_length=1, max_length=100)]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Pin = Annotated[str, Field(min_length=1, max_length=16, json_schema_extra={"format": "password"})]
Code6 = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
Reason = Literal[tuple(r.value for r in ReissueReason)]  # type: ignore[valid-type]
Purpose = Literal[tuple(NUMBER_PURPOSES)]  # type: ignore[valid-type]
Document = Annotated[str, Field(min_length=1, max_length=40)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: object) -> object:
        """Every text field of every body: no NUL, no control character (422 naming the field)."""
        check_all(data)
        return data


class LoginIn(Body):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256, json_schema_extra={"format": "password"})]


class ResidentIn(Body):
    individual_number: Annotated[str, Field(min_length=12, max_length=14)]
    name: Text100
    name_kana: Annotated[str | None, Field(max_length=100)] = None
    address: Text200
    birth_date: Day
    sex: Literal["1", "2", "9"]
    municipality_code: Code6
    nationality: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "JP"
    residence_status: Annotated[str | None, Field(max_length=60)] = None
    period_of_stay_end: Day | None = None
    adult_ward: bool = False


class NumberReadIn(Body):
    purpose: Purpose  # R_NUM_3


#: The holder's choice of certificates (R_CERT_10): both, signing only, authentication only, none.
CertChoiceP = Literal["both", "sign", "auth", "none"]


class ApplyIn(Body):
    kind: Literal["new", "renewal", "reissue"] = "new"
    certificates: CertChoiceP | None = Field(None, description="Certificates chosen; null = all the holder may hold")
    channel: Literal["mail", "online", "booth", "window"] = "window"
    received_on: Day | None = None
    reason: Reason | None = None
    express: bool = False
    event_on: Day | None = None
    documents: dict[
        Literal["police_report", "disaster_certificate", "damaged_card"],
        Annotated[str, Field(min_length=1, max_length=50)],
    ] = Field(default_factory=dict)


class AdminErrorIn(Body):
    """An error of the municipality or J-LIS, recorded by a supervisor: a free reissue's evidence."""

    description: Text200
    card_id: Annotated[str | None, Field(pattern=r"^[0-9A-F]{12}$")] = None
    occurred_on: Day | None = None


class MovedInFromAbroadIn(Body):
    """A moving-in notice from abroad (国外からの転入届): a free card's evidence."""

    moved_in_on: Day
class CancelIn(Body):
    reason: Annotated[str, Field(max_length=200)] = ""


class PinsIn(Body):
    sign: Pin | None = None
    auth: Pin | None = None
    resident: Pin | None = None
    card_info: Pin | None = None


class IssueIn(Body):
    identity_documents: Annotated[list[Document], Field(min_length=1, max_length=5)]
    pins: PinsIn
    want_signing: bool | None = None
    certificates: CertChoiceP | None = Field(None, description="Certificates to issue; null = the application's choice")
    legal_representative: Annotated[str | None, Field(max_length=100)] = None


class MoveWithinIn(Body):
    new_address: Text200
    moved_on: Day | None = None
    new_signing_pin: Pin | None = None


class MoveOutIn(Body):
    to_municipality: Code6
    planned_on: Day


class MoveInIn(Body):
    new_address: Text200
    moved_in_on: Day
    notice_on: Day | None = None


class ContinuedUseIn(Body):
    resident_pin: Pin
    new_signing_pin: Pin | None = None


class RenameIn(Body):
    new_name: Text100
    new_signing_pin: Pin | None = None


class CertIssueIn(Body):
    pin: Pin


class CertRenewIn(Body):
    pin: Pin | None = None


class HotlineIn(Body):
    name: Text100
    birth_date: Day
    address: Annotated[str | None, Field(max_length=200)] = None
    individual_number: Annotated[str | None, Field(min_length=12, max_length=14)] = None
    caller: Annotated[str, Field(min_length=1, max_length=40)] = "holder"


class LossIn(Body):
    kind: Literal["loss", "theft"] = "loss"
    police_report: Annotated[str | None, Field(max_length=50)] = None


class PinResetIn(Body):
    new_value: Pin
    identity_documents: Annotated[list[Document], Field(min_length=1, max_length=5)]


class NumberChangeIn(Body):
    reason: Text200
    new_number: Annotated[str | None, Field(min_length=12, max_length=14)] = None


class AccountIn(Body):
    username: Annotated[str, Field(min_length=3, max_length=64)]
    password: Annotated[str, Field(min_length=10, max_length=256, json_schema_extra={"format": "password"})]
    role: Literal["clerk", "supervisor", "hotline", "auditor", "admin"]
    municipality_code: Code6 | None = None
    display_name: Annotated[str, Field(max_length=100)] = ""


class ClockIn(Body):
    # a time no certificate or CRL can carry would make every later request fail
    at: Annotated[datetime, AfterValidator(check_simulated)] | None = Field(
        None, description="Simulated time (ISO 8601; Japan time if no offset), 1950-9000; null = real time"
    )
    advance: bool | None = Field(None, description="Whether simulated time advances with real time")


class MunicipalityIn(Body):
    code: Code6
    name: Text100
    prefecture: Annotated[str, Field(min_length=1, max_length=20)]
    # the letterhead of the documents the window prints (optional; sandbox defaults otherwise)
    address: Annotated[str, Field(max_length=200, description="The office's address (庁舎所在地)")] = ""
    window: Annotated[str | None, Field(min_length=1, max_length=100, description="担当窓口")] = None
    phone: Annotated[str, Field(max_length=30, pattern=r"^[0-9()+\- ]*$", description="The window's telephone")] = ""

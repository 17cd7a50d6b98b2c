"""The holder's choice of certificates and the fees that follow it (R_CERT_10, R_CERT_4, R_LOSS_4).

The table states, for every reason a card is (re)issued and every choice (both, signing only,
authentication only, none), what the receipt shows: R_LOSS_4 charges 800 yen for the card and
200 yen for the certificates, and nothing in its free cases. The paid reasons are written out
here rather than read from the code under test.
"""

from __future__ import annotations

import pytest

from mynacard.errors import NotAllowedError, ValidationError
from mynacard.rules.certchoice import CertChoice, check_choice
from mynacard.rules.events import CertKind
from mynacard.rules.fees import FeeSchedule, ReissueReason, certificate_added_fee, reissue_fee

R = ReissueReason
PAID = {R.LOSS, R.DAMAGE, R.LAPSED}  # R_LOSS_4: every other reason is free
CARD_LINE = ("個人番号カード再交付手数料", 800)
CERT_LINE = ("電子証明書発行手数料", 200)

ROWS = [(reason, choice) for reason in R for choice in CertChoice]


@pytest.mark.parametrize(("reason", "choice"), ROWS, ids=[f"{r.value}-{c.value}" for r, c in ROWS])
def test_fee_for_every_reason_and_choice_R_LOSS_4_R_CERT_10(reason: ReissueReason, choice: CertChoice) -> None:
    fee = reissue_fee(reason, with_certificates=bool(choice.kinds))
    lines = [(x.item_ja, x.amount) for x in fee.lines]
    if reason not in PAID:
        assert lines == [] and fee.total == 0  # the free cases stay free whatever is chosen
    elif choice is CertChoice.NONE:
        assert lines == [CARD_LINE] and fee.total == 800  # no certificate, no certificate fee
    else:
        assert lines == [CARD_LINE, CERT_LINE] and fee.total == 1000  # one line each, on the receipt


@pytest.mark.parametrize("choice", list(CertChoice))
def test_card_with_under_3_months_left_is_free_whatever_the_choice_R_LOSS_4(choice: CertChoice) -> None:
    fee = reissue_fee(R.LOSS, with_certificates=bool(choice.kinds), card_months_left_under_3=True)
    assert fee.total == 0 and fee.free_because_expiring


@pytest.mark.parametrize(("with_certificates", "total"), [(True, 1000), (False, 800)])
def test_disaster_without_its_certificate_is_charged_by_the_choice_R_LOSS_4(with_certificates, total) -> None:
    assert reissue_fee(R.DISASTER, with_certificates=with_certificates, proven=False).total == total


def test_express_on_a_paid_reissue_without_certificates_R_LOSS_5() -> None:
    fee = reissue_fee(R.LOSS, with_certificates=False, express=True)
    assert [x.amount for x in fee.lines] == [800, 1800]


def test_certificate_added_later_costs_the_certificate_fee_once_on_a_paid_reissue_R_LOSS_4() -> None:
    """[policy] Declining at a paid reissue and adding later costs what choosing at once would."""
    assert [(x.item_ja, x.amount) for x in certificate_added_fee(card_fee_paid=True,
                                                                 certificate_fee_paid=False).lines] == [CERT_LINE]
    assert certificate_added_fee(card_fee_paid=True, certificate_fee_paid=True).total == 0
    assert certificate_added_fee(card_fee_paid=False, certificate_fee_paid=False).total == 0  # a free card
    schedule = FeeSchedule(card=1000, certificates=300)
    assert certificate_added_fee(card_fee_paid=True, certificate_fee_paid=False, schedule=schedule).total == 300


def test_choice_names_its_certificates_R_CERT_10() -> None:
    assert CertChoice.parse("both").kinds == {CertKind.SIGN, CertKind.AUTH}
    assert CertChoice.parse(" Sign ").kinds == {CertKind.SIGN}
    assert CertChoice.parse("auth").kinds == {CertKind.AUTH}
    assert CertChoice.parse("none").kinds == set()
    assert CertChoice.of([]) is CertChoice.NONE
    assert CertChoice.of(["sign", "auth"]) is CertChoice.BOTH  # by name or by kind
    assert CertChoice.of([CertKind.AUTH]) is CertChoice.AUTH
    assert CertChoice.default(may_sign=True) is CertChoice.BOTH
    assert CertChoice.default(may_sign=False) is CertChoice.AUTH


@pytest.mark.parametrize("junk", ["", "yes", "signing", "both,auth", "署名"])
def test_unknown_choice_is_refused_in_both_languages_R_CERT_10(junk: str) -> None:
    with pytest.raises(ValidationError) as err:
        CertChoice.parse(junk)
    assert err.value.field == "certificates"
    assert err.value.message == f"Certificates must be one of both, sign, auth or none, not {junk!r}."
    assert err.value.message_ja == ("電子証明書の選択は both(両方)・sign(署名用)・auth(利用者証明用)・none(なし)"
                                    "のいずれかです。")


@pytest.mark.parametrize("choice", [CertChoice.BOTH, CertChoice.SIGN])
def test_no_signing_certificate_for_under_15s_or_adult_wards_R_CERT_4(choice: CertChoice) -> None:
    with pytest.raises(NotAllowedError) as err:
        check_choice(choice, may_sign=False)
    assert err.value.message == ("No signing certificate for under-15s or adult wards (R_CERT_4): "
                                 "choose auth or none.")
    assert err.value.message_ja == ("15歳未満の方・成年被後見人の方には署名用電子証明書は発行されません。"
                                    "利用者証明用のみ(auth)か、なし(none)を選んでください。")
    assert err.value.fields == {"certificates": choice.value}  # the API answers which choice it refused
    assert check_choice(choice, may_sign=True) is choice


@pytest.mark.parametrize("choice", [CertChoice.AUTH, CertChoice.NONE])
def test_ineligible_holder_may_choose_auth_or_none_R_CERT_4(choice: CertChoice) -> None:
    assert check_choice(choice, may_sign=False) is choice

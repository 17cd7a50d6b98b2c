"""Commands for cards: application, making, hand-over, loss, return (R_CARD_*, R_LOSS_*)."""

from __future__ import annotations

from typing import Annotated

import typer

from mynacard.cli import render
from mynacard.cli.app import ResidentIdArg, emit, parse_date_opt, read_pin, work
from mynacard.cli.residents import SIGNING_PASSWORD, NewSigningPinOpt, face_data
from mynacard.db import repositories as repo
from mynacard.handover import applied_dict, issued_extra
from mynacard.present import card_view
from mynacard.results import card_result_dict, event_dict
from mynacard.services import cards, reissue
from mynacard.services.common import card as get_card

card_app = typer.Typer(help="Cards (個人番号カード).", no_args_is_help=True)

#: A PIN: the option's value, else a hidden prompt (or a line of stdin with ``mynacard --pin-stdin``).
PinOpt = Annotated[
    str | None, typer.Option(help="4 digits; asked with a hidden prompt when left out (or read by --pin-stdin)")
]

CertsOpt = Annotated[
    str | None,
    typer.Option(
        "--certs",
        help="Certificates the holder wants (R_CERT_10): both, sign, auth or none "
        "(default: at application, all the holder may hold; at hand-over, the application's choice)",
    ),
]

_show = render.card


def _card(w, card_id: str) -> dict:
    return card_view(w.session, get_card(w, card_id, for_update=False))


@card_app.command("apply")
def card_apply(
    ctx: typer.Context,
    resident_id: ResidentIdArg,
    kind: Annotated[str, typer.Option(help="new / renewal / reissue")] = "new",
    channel: Annotated[str, typer.Option(help="mail / online / booth / window")] = "window",
    received: Annotated[str | None, typer.Option(help="Date J-LIS received it (default: today)")] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            help="Reason: loss, theft, loss_not_holders_fault, damage, disaster, notes_full, admin_error, "
            "return_from_abroad (new: first_issue, lapsed, return_from_abroad). A free reason needs its "
            "evidence: the documents below, or a record (admin-error, moved-in-from-abroad)"
        ),
    ] = None,
    express: Annotated[bool, typer.Option(help="Express issuance (特急発行, R_LOSS_5)")] = False,
    event_on: Annotated[str | None, typer.Option(help="Date of the event that justifies express issuance")] = None,
    police_report: Annotated[str | None, typer.Option(help="Police loss/theft report number (遺失届)")] = None,
    disaster_certificate: Annotated[str | None, typer.Option(help="Disaster certificate number (罹災証明)")] = None,
    damaged_card: Annotated[bool, typer.Option(help="The damaged card was brought to the window")] = False,
    certs: CertsOpt = None,
) -> None:
    """Receive an application for a card (交付申請) and take its fee."""
    docs = {
        k: v
        for k, v in {
            "police_report": police_report,
            "disaster_certificate": disaster_certificate,
            "damaged_card": "presented" if damaged_card else None,
        }.items()
        if v
    }
    with work(ctx) as w:
        res = cards.apply(
            w,
            resident_id,
            kind=kind,
            channel=channel,
            received_on=parse_date_opt(received, "--received"),
            reason=reason,
            express=express,
            event_on=parse_date_opt(event_on, "--event-on"),
            documents=docs,
            certificates=certs,
        )
        data = applied_dict(res)
    emit(ctx, data)


def _record(rec) -> dict:
    return {"record_id": rec.id, "kind": rec.kind, "resident_id": rec.resident_id, "card_id": rec.card_id,
            "occurred_on": rec.occurred_on.isoformat(), "recorded_by": rec.recorded_by}


@card_app.command("admin-error")
def card_admin_error(
    ctx: typer.Context,
    resident_id: int,
    description: Annotated[str, typer.Option(help="What the municipality or J-LIS got wrong")],
    card: Annotated[str | None, typer.Option(help="The card the error concerns")] = None,
    occurred_on: Annotated[str | None, typer.Option(help="When it happened (default: today)")] = None,
) -> None:
    """Record an administrative error (市区町村・J-LISの誤り): the evidence of a free reissue.
    On the web only a supervisor may; the command line acts as the administrator."""
    with work(ctx) as w:
        rec = reissue.record_admin_error(
            w,
            resident_id,
            description=description,
            card_id=card,
            occurred_on=parse_date_opt(occurred_on, "--occurred-on"),
            recorded_role="admin",
        )
        data = _record(rec)
    emit(ctx, data)


@card_app.command("moved-in-from-abroad")
def card_moved_in_from_abroad(
    ctx: typer.Context,
    resident_id: int,
    moved_in_on: Annotated[str, typer.Option(help="The day of moving in from abroad (YYYY-MM-DD)")],
) -> None:
    """Record a moving-in from abroad (国外からの転入): the evidence of a free card on return."""
    day = parse_date_opt(moved_in_on, "--moved-in-on")
    assert day is not None
    with work(ctx) as w:
        data = _record(reissue.record_moved_in_from_abroad(w, resident_id, moved_in_on=day, recorded_role="admin"))
    emit(ctx, data)
@card_app.command("cancel")
def card_cancel(
    ctx: typer.Context,
    card_id: str,
    reason: Annotated[str, typer.Option(help="Why the application is withdrawn")] = "",
) -> None:
    """Cancel the application of a card not yet handed over (申請の取下げ); apply again afterwards."""
    with work(ctx) as w:
        cards.cancel(w, card_id, reason=reason)
        data = _card(w, card_id)
    emit(ctx, data, _show)


@card_app.command("make")
def card_make(ctx: typer.Context, card_id: str) -> None:
    """J-LIS makes the card (prints the face and its expiry, writes the chip)."""
    with work(ctx, actor="j-lis") as w:
        cards.make(w, card_id)
        data = _card(w, card_id)
    emit(ctx, data, _show)


@card_app.command("issue")
def card_issue(
    ctx: typer.Context,
    card_id: str,
    id_doc: Annotated[
        list[str], typer.Option(help="Identity document(s): drivers_license, passport, health_insurance_card, ...")
    ],
    auth_pin: PinOpt = None,
    resident_pin: PinOpt = None,
    card_info_pin: PinOpt = None,
    sign_pin: Annotated[
        str | None, typer.Option(help="Signing password (署名用パスワード, 6-16 A-Z0-9); '-' asks for it")
    ] = None,
    sign: Annotated[
        bool | None, typer.Option("--sign/--no-sign", help="Issue a signing certificate (default: if eligible)")
    ] = None,
    certs: CertsOpt = None,
    representative: Annotated[str | None, typer.Option(help="Legal representative (under-15s, adult wards)")] = None,
) -> None:
    """Hand the card over (交付): identity check, PINs, keys on the chip, the certificates chosen.

    PINs left out are asked for with a hidden prompt, or read from stdin with ``mynacard --pin-stdin``
    one a line in this order: auth (unless --certs is sign or none), resident, card-info, then the
    signing password if --sign-pin is '-'."""
    pins: dict[str, str] = {}
    if auth_pin is not None or certs not in ("sign", "none"):
        pins["auth"] = read_pin(ctx, auth_pin, "利用者証明用電子証明書の暗証番号 / auth PIN")
    pins["resident"] = read_pin(ctx, resident_pin, "住民基本台帳用の暗証番号 / resident PIN")
    pins["card_info"] = read_pin(ctx, card_info_pin, "券面事項入力補助用の暗証番号 / card-info PIN")
    if sign_pin:
        pins["sign"] = read_pin(ctx, sign_pin, SIGNING_PASSWORD)
    with work(ctx) as w:
        want = None if certs else sign if sign is not None else (None if sign_pin else False)
        res = cards.issue(
            w, card_id, identity_documents=id_doc, pins=pins, want_signing=want, legal_representative=representative,
            certificates=certs,
        )
        data = _card(w, card_id) | issued_extra(res)
    emit(ctx, data, _show)


@card_app.command("show")
def card_show(ctx: typer.Context, card_id: str) -> None:
    """A card's state, expiry, notes field and certificates."""
    with work(ctx) as w:
        data = _card(w, card_id)
    emit(ctx, data, _show)


@card_app.command("report-loss")
def card_report_loss(
    ctx: typer.Context,
    card_id: str,
    kind: Annotated[str, typer.Option(help="loss / theft")] = "loss",
    police_report: Annotated[str | None, typer.Option()] = None,
) -> None:
    """The loss report at the window (R_LOSS_2); suspends the card if the hotline has not."""
    from mynacard.services import loss

    with work(ctx) as w:
        loss.report_loss(w, card_id, kind=kind, police_report=police_report)
        data = card_result_dict("loss_report", _card(w, card_id))
    emit(ctx, data, _show)


@card_app.command("found")
def card_found(ctx: typer.Context, card_id: str) -> None:
    """The card was found: lift the suspension and the holds (R_LOSS_3)."""
    from mynacard.services import loss

    with work(ctx) as w:
        done = loss.found(w, card_id)
        data = card_result_dict("found", _card(w, card_id), done)
    emit(ctx, data, _show)


@card_app.command("return")
def card_return(ctx: typer.Context, card_id: str) -> None:
    """The holder returns the card (返納); both certificates are revoked (R_CARD_10, R_CERT_7)."""
    from mynacard.services import lifecycle

    with work(ctx) as w:
        done = lifecycle.return_card(w, card_id)
        data = card_result_dict("return", _card(w, card_id), done)
    emit(ctx, data, _show)


@card_app.command("continued-use")
def card_continued_use(
    ctx: typer.Context,
    card_id: str,
    resident_pin: PinOpt = None,
    new_signing_pin: Annotated[str | None, NewSigningPinOpt] = None,
) -> None:
    """Present the card at the new municipality with the resident-registry PIN (R_CARD_8)."""
    from mynacard.services import face

    pin = read_pin(ctx, resident_pin, "住民基本台帳用の暗証番号 / resident PIN")
    new_sign = read_pin(ctx, new_signing_pin, SIGNING_PASSWORD) if new_signing_pin else None
    with work(ctx) as w:
        data = face_data(w, face.continued_use(w, card_id, resident_pin=pin, new_signing_pin=new_sign), "継続利用")
    emit(ctx, data, render.face)


@card_app.command("events")
def card_events(ctx: typer.Context, card_id: str) -> None:
    """The event log of a card: who did what, when."""
    with work(ctx) as w:
        rows = [event_dict(e) for e in repo.events(w.session, card_id=card_id)]
    emit(ctx, rows, render.events)

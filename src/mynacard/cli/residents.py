"""Commands for municipalities, residents and individual numbers."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mynacard.cli import render
from mynacard.cli.app import ResidentIdArg, console, emit, parse_date_opt, read_pin, work
from mynacard.db import repositories as repo
from mynacard.present import both, card_view, iso, resident_dict
from mynacard.services import residents

municipality_app = typer.Typer(help="Municipalities (市区町村).", no_args_is_help=True)
resident_app = typer.Typer(help="Residents (住民) and their individual numbers.", no_args_is_help=True)

#: The signing certificate's secret is a password (パスワード), the others are PINs (暗証番号).
SIGNING_PASSWORD = "署名用電子証明書のパスワード / signing password"
NewSigningPinOpt = typer.Option(
    help="Issue a new signing certificate with this password (6-16 A-Z0-9); '-' asks for it (hidden prompt "
    "or --pin-stdin)"
)


@municipality_app.command("add")
def municipality_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="6-digit local government code, e.g. 174076")],
    name: Annotated[str, typer.Argument(help="e.g. 中能登町")],
    prefecture: Annotated[str, typer.Argument(help="e.g. 石川県")],
    found_policy: Annotated[
        str | None, typer.Option(help="R_LOSS_3: 'release' holds when a card is found (default), or 'reissue'")
    ] = None,
    card_fee: Annotated[int | None, typer.Option(help="Reissue fee for the card (yen; default 800)")] = None,
    cert_fee: Annotated[int | None, typer.Option(help="Reissue fee for the certificates (yen; default 200)")] = None,
) -> None:
    """Register a municipality and its settings; for one already registered, change the settings given."""
    with work(ctx) as w:
        m = residents.add_municipality(
            w, code, name, prefecture, found_policy=found_policy, card_fee=card_fee, cert_fee=cert_fee
        )
        data = {
            "code": m.code,
            "name": m.name,
            "prefecture": m.prefecture,
            "found_policy": m.found_policy,
            "card_fee": m.card_fee,
            "cert_fee": m.cert_fee,
        }
    emit(ctx, data)


@resident_app.command("add")
def resident_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Name as on the resident registry")],
    address: Annotated[str, typer.Option()],
    birth: Annotated[str, typer.Option(help="Date of birth, 西暦 or 和暦 (1990-06-15, H2.6.15)")],
    sex: Annotated[str, typer.Option(help="1 male, 2 female, 9 not known")],
    municipality: Annotated[str, typer.Option(help="6-digit municipality code")],
    number: Annotated[str | None, typer.Option(help="Individual number; assigned when omitted")] = None,
    nationality: Annotated[str, typer.Option(help="ISO 3166 alpha-2")] = "JP",
    status: Annotated[str | None, typer.Option(help="Residence status of a foreign resident")] = None,
    stay_until: Annotated[str | None, typer.Option(help="End of the period of stay, 西暦 or 和暦")] = None,
    adult_ward: Annotated[bool, typer.Option(help="Adult ward (成年被後見人)")] = False,
    kana: Annotated[str | None, typer.Option(help="フリガナ of the name (found by resident find)")] = None,
) -> None:
    """Register a resident (the basic four attributes and the number)."""
    from mynacard.ids import IndividualNumber

    with work(ctx) as w:
        r = residents.register(
            w,
            individual_number=number or str(IndividualNumber.generate()),
            name=name,
            name_kana=kana,
            address=address,
            birth_date=birth,
            sex=sex,
            municipality_code=municipality,
            nationality=nationality,
            residence_status=status,
            period_of_stay_end=stay_until,
            adult_ward=adult_ward,
        )
        data = resident_dict(r)
    emit(ctx, data)


@resident_app.command("show")
def resident_show(ctx: typer.Context, resident_id: ResidentIdArg) -> None:
    """A resident, their cards and certificates."""
    with work(ctx) as w:
        r = residents.get(w, resident_id)
        data = resident_dict(r)
        data["cards"] = []
        for c in repo.cards_of(w.session, r.id):
            certs = repo.certificates_of_card(w.session, c.id)
            data["cards"].append(
                {
                    "id": c.id,
                    "state": c.state,
                    "expires_on": iso(c.expires_on),
                    "certificates": [
                        {"kind": x.kind, "serial": format(x.serial, "x"), "status": x.status} for x in certs
                    ],
                }
            )

    def show(d: dict) -> None:
        born = both(parse_date_opt(d["birth_date"], "birth"))
        console.print(f"[bold]{escape(d['name'])}[/] (ID {d['id']}) {escape(d['address'])} 生年月日 {born}")
        for c in d["cards"]:  # one small table a card: whole serials fit an 80-column terminal
            console.print(f"[bold]Card {c['id']}[/] {c['state']}  有効期限 expires {c['expires_on'] or '-'}")
            if c["certificates"]:
                t = Table("certificate", "serial", "status")
                for x in c["certificates"]:
                    t.add_row(x["kind"], x["serial"], x["status"])
                console.print(t)

    emit(ctx, data, show)


@resident_app.command("find")
def resident_find(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="The start of the name, the given name or the フリガナ")] = None,
    birth: Annotated[str | None, typer.Option(help="Date of birth, 西暦 or 和暦")] = None,
) -> None:
    """Find residents by the start of the name, of the given name or of the フリガナ (異体字, kana
    and spaces folded) and/or the date of birth."""
    with work(ctx) as w:
        rows = [resident_dict(r) for r in residents.find(w, name=name, birth_date=parse_date_opt(birth, "--birth"))]
    emit(ctx, rows, render.residents)


@resident_app.command("number")
def resident_number(
    ctx: typer.Context,
    resident_id: ResidentIdArg,
    purpose: Annotated[str, typer.Option(help="social_security / tax / disaster / card_issuance (R_NUM_3)")],
) -> None:
    """Read a resident's individual number for a lawful purpose; the read is recorded (R_NUM_3)."""
    with work(ctx) as w:
        n = residents.read_number(w, resident_id, purpose)
    emit(ctx, {"resident_id": resident_id, "individual_number": str(n), "purpose": purpose})


@resident_app.command("number-history")
def resident_number_history(ctx: typer.Context, resident_id: ResidentIdArg) -> None:
    """Who read this resident's number, when and why (R_NUM_3)."""
    with work(ctx) as w:
        rows = [
            {"at": iso(x.at), "actor": x.actor, "purpose": x.purpose} for x in residents.number_history(w, resident_id)
        ]
    emit(ctx, rows, lambda rs: render.rows(rs, empty="記録はありません。"))


@resident_app.command("change-number")
def resident_change_number(
    ctx: typer.Context, resident_id: ResidentIdArg, reason: Annotated[str, typer.Option()]
) -> None:
    """Change a leaked number (R_NUM_2): the card loses effect; a free reissue is applied for."""
    from mynacard.services import lifecycle

    with work(ctx) as w:
        res = lifecycle.change_number(w, resident_id, reason=reason)
        data = {
            "old_card": res.old_card.id if res.old_card else None,
            "application_id": res.application.application.id,
            "new_card": res.application.card.id,
            "fee": res.application.application.fee_total,
        }
    emit(ctx, data)


@resident_app.command("rename")
def resident_rename(
    ctx: typer.Context,
    resident_id: ResidentIdArg,
    name: Annotated[str, typer.Option(help="The new name")],
    new_signing_pin: Annotated[str | None, NewSigningPinOpt] = None,
) -> None:
    """Change of name (marriage): revokes the signing certificate at once (R_CERT_5)."""
    from mynacard.services import face

    pin = read_pin(ctx, new_signing_pin, SIGNING_PASSWORD) if new_signing_pin else None
    with work(ctx) as w:
        res = face.change_name(w, resident_id, new_name=name, new_signing_pin=pin)
        data = face_data(w, res, "氏名の変更")
    emit(ctx, data, render.face)


def face_data(w, res, what_ja: str) -> dict:  # type: ignore[no-untyped-def]
    from mynacard.results import face_dict

    return face_dict(res, card_view(w.session, res.card) if res.card is not None else None, what_ja)


@resident_app.command("move")
def resident_move(
    ctx: typer.Context,
    resident_id: ResidentIdArg,
    address: Annotated[str, typer.Option(help="New address")],
    new_signing_pin: Annotated[str | None, NewSigningPinOpt] = None,
) -> None:
    """A move inside the municipality (転居)."""
    from mynacard.services import face

    pin = read_pin(ctx, new_signing_pin, SIGNING_PASSWORD) if new_signing_pin else None
    with work(ctx) as w:
        data = face_data(w, face.move_within(w, resident_id, new_address=address, new_signing_pin=pin), "転居")
    emit(ctx, data, render.face)


@resident_app.command("move-out")
def resident_move_out(
    ctx: typer.Context,
    resident_id: ResidentIdArg,
    to: Annotated[str, typer.Option(help="Code of the new municipality")],
    planned: Annotated[str, typer.Option(help="Planned moving-out date, 西暦 or 和暦")],
) -> None:
    """The moving-out notice (転出届) (R_CARD_8)."""
    from mynacard.results import move_out_dict
    from mynacard.services import face

    with work(ctx) as w:
        mv = face.move_out(w, resident_id, to_municipality=to, planned_on=parse_date_opt(planned, "--planned"))  # type: ignore[arg-type]
        data = move_out_dict(mv)
    emit(ctx, data)


@resident_app.command("move-in")
def resident_move_in(
    ctx: typer.Context,
    resident_id: ResidentIdArg,
    address: Annotated[str, typer.Option()],
    moved_in: Annotated[str, typer.Option(help="Date of moving in, 西暦 or 和暦")],
) -> None:
    """The moving-in notice (転入届) (R_CARD_8); the card must then be presented within 90 days."""
    from mynacard.services import face

    day = parse_date_opt(moved_in, "--moved-in")
    assert day is not None
    with work(ctx) as w:
        data = face_data(w, face.move_in(w, resident_id, new_address=address, moved_in_on=day), "転入")
    emit(ctx, data, render.face)


@resident_app.command("extend-stay")
def resident_extend_stay(ctx: typer.Context, resident_id: ResidentIdArg, until: Annotated[str, typer.Option()]) -> None:
    """Extend a stay-bound card after a visa renewal (R_CARD_9)."""
    from mynacard.services import lifecycle

    with work(ctx) as w:
        c = lifecycle.extend_for_stay(w, resident_id, new_period_of_stay_end=parse_date_opt(until, "--until"))  # type: ignore[arg-type]
        data = {"card": c.id, "expires_on": iso(c.expires_on)}
    emit(ctx, data)

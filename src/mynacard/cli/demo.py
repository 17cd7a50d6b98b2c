"""``mynacard demo``: one resident's card life, narrated, at simulated dates."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp
from rich.panel import Panel
from rich.table import Table

from mynacard.cli.app import Options, console, fail, opts
from mynacard.db import repositories as repo
from mynacard.errors import MynaError
from mynacard.present import both, wareki
from mynacard.services import batch, cards, certificates, face, holder, loss, residents, revocation
from mynacard.services.context import Office, Work
from mynacard.timeutil import JST

DEMO_DB = "mynacard-demo.db"
#: The first event of a store the demo made: only such a store may ``--fresh`` delete.
DEMO_MARK = "demo_started"
PINS = {"sign": "NOTO2025", "auth": "4821", "resident": "4821", "card_info": "4821"}


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


class Story:
    def __init__(self, office: Office) -> None:
        self.office = office
        self.n = 0

    def step(self, when: str, title: str, actor: str = "窓口 clerk"):  # type: ignore[no-untyped-def]
        self.n += 1
        at = t(when)
        weekday = "月火水木金土日"[at.weekday()]
        console.rule(f"[bold cyan]{self.n}. {title}")
        console.print(f"[dim]{at:%Y-%m-%d %H:%M} ({wareki(at.date())} {weekday}曜日) — {actor}[/]")
        return self.office.work(at=at, actor=actor)

    def statuses(self, w: Work, card_id: str) -> None:
        c = repo.card(w.session, card_id)
        assert c is not None
        tbl = Table("", "状態 state", "有効期限 expires", "OCSP")
        tbl.add_row("カード card " + c.id, c.state, both(c.expires_on), "")
        for cert in repo.certificates_of_card(w.session, card_id):
            resp = revocation.response(w, cert)
            st = resp.certificate_status.name.lower()
            if resp.certificate_status == ocsp.OCSPCertStatus.REVOKED and resp.revocation_reason:
                st += f" ({resp.revocation_reason.name})"
            tbl.add_row(
                f"{'署名用' if cert.kind == 'sign' else '利用者証明用'} {cert.serial:x}"[:28],
                cert.status,
                both(cert.expires_on),
                st,
            )
        console.print(tbl)


def _store_kind(db: str) -> str:
    """What ``db`` holds: "none" (no file, or an empty one), "demo" (a store this demo made) or
    "other" (anything else: a user's store, or a file that is not a store at all)."""
    if "://" in db:
        from sqlalchemy import inspect, select

        from mynacard.db.models import Event
        from mynacard.db.store import Store

        store = Store(db)
        try:
            if not inspect(store.engine).get_table_names():
                return "none"
            with store.session() as s:
                first = s.scalars(select(Event.action).order_by(Event.id).limit(1)).first()
            return "none" if first is None else ("demo" if first == DEMO_MARK else "other")
        except Exception:
            return "other"
        finally:
            store.dispose()
    path = Path(db).expanduser()
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return "none"
    try:
        con = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT action FROM events ORDER BY id LIMIT 1").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return "other"
    return "demo" if row is not None and row[0] == DEMO_MARK else ("none" if row is None else "other")


def prepare_store(ctx: typer.Context, *, fresh: bool) -> str:
    """Choose the demo's store and make it ready, destroying nothing the user did not name.

    [policy] The demo runs in its own file, ``mynacard-demo.db``, unless ``--db`` is given on
    the command line (``MYNACARD_DB`` is ignored: it names the user's own store). ``--fresh``
    (the default) deletes a store only if the demo made it; a store that holds anything else is
    refused with exit code 2 and left as it is. A database URL is never deleted: it must be empty.
    """
    o: Options = opts(ctx)
    source = ctx.find_root().get_parameter_source("db")
    if getattr(source, "name", "") != "COMMANDLINE":
        o.db = DEMO_DB
    kind = _store_kind(o.db)
    if kind == "other":
        raise fail(
            MynaError(
                f"{o.db} holds data that the demo did not make: the demo never overwrites or deletes it. "
                f"Run the demo without --db (it uses {DEMO_DB}) or name a new file.",
                f"{o.db} にはデモ以外のデータがあるため、デモは実行しません(削除もしません)。"
                "--db を指定せずに実行するか、新しいファイル名を指定してください。",
            )
        )
    if kind == "demo":
        if "://" in o.db or not fresh:
            raise fail(
                MynaError(
                    f"{o.db} already holds a demo story. "
                    + ("Drop that database yourself." if "://" in o.db else "Run with --fresh to start it again."),
                    f"{o.db} にはすでにデモのデータがあります。",
                )
            )
        Path(o.db).expanduser().unlink()
    return o.db


def run_demo(ctx: typer.Context, *, fresh: bool = True) -> None:
    o: Options = opts(ctx)
    prepare_store(ctx, fresh=fresh)
    s = Story(o.office())
    console.print(
        Panel.fit(
            "mynacard demo — 能登 太郎さんのマイナンバーカード\n"
            f"database: {o.db}  (simulated dates; nothing reads the clock)",
            style="bold",
        )
    )

    with s.step("2025-04-01T09:00", "Setting up the municipalities (市区町村)", "setup") as w:
        w.log(DEMO_MARK, note="made by mynacard demo: mynacard demo --fresh may delete this store")
        residents.add_municipality(w, "174076", "中能登町", "石川県")
        residents.add_municipality(w, "172014", "金沢市", "石川県")
        taro = residents.register(
            w,
            individual_number="123456789018",
            name="能登 太郎",
            address="石川県鹿島郡中能登町能登部下91部23番地",
            birth_date=date(1990, 6, 15),
            sex="1",
            municipality_code="174076",
        ).id
        console.print("Resident 能登 太郎, born 1990-06-15, registered in 中能登町 (number ********9018).")

    with s.step("2025-04-01T21:30", "Taro applies online with the QR code (交付申請)", "resident") as w:
        app = cards.apply(w, taro, channel="online")
        card_id = app.card.id
        console.print(f"Application ID {app.application.id} (23 digits), fee {app.application.fee_total} yen.")

    with s.step("2025-04-20T10:00", "J-LIS makes the card", "J-LIS") as w:
        c = cards.make(w, card_id)
        console.print(
            f"Aged 34 when J-LIS received it: valid until the 10th birthday after issue, "
            f"{both(c.expires_on)} (R_CARD_2)."
        )

    with s.step("2025-05-10T10:15", "Hand-over at the window (交付): identity check, PINs, keys on the chip") as w:
        cards.issue(w, card_id, identity_documents=["drivers_license"], pins=PINS)
        console.print("Both key pairs generated on the chip; certificates to the 5th birthday (R_CERT_3).")
        s.statuses(w, card_id)

    with s.step("2025-06-01T10:00", "A child's card: 能登 花子, born 2019-08-01, with her father", "setup") as w:
        hana = residents.register(
            w,
            individual_number=_number(),
            name="能登 花子",
            address="石川県鹿島郡中能登町能登部下91部23番地",
            birth_date=date(2019, 8, 1),
            sex="2",
            municipality_code="174076",
        ).id
        hcard = cards.apply(w, hana, channel="window").card.id
    with s.step("2025-06-20T10:00", "J-LIS makes Hanako's card", "J-LIS") as w:
        c = cards.make(w, hcard)
        console.print(f"Under 18: valid until the 5th birthday after issue, {both(c.expires_on)} (R_CARD_2).")
    try:
        with s.step("2025-07-05T10:00", "Her father asks for a signing certificate too") as w:
            cards.issue(
                w,
                hcard,
                identity_documents=["passport"],
                pins=PINS,
                want_signing=True,
                legal_representative="能登 太郎",
            )
    except MynaError as e:
        console.print(f"[yellow]Refused, nothing changed:[/] {e.message} / {e.message_ja}")
    with s.step("2025-07-05T10:05", "Hand-over to her legal representative, authentication only") as w:
        cards.issue(w, hcard, identity_documents=["passport"], pins=PINS, legal_representative="能登 太郎")
        console.print("Issued with the authentication certificate only (R_CERT_4).")
        s.statuses(w, hcard)
    with s.step("2026-02-15T20:00", "Taro signs his e-Tax return with the signing certificate", "resident") as w:
        doc = "令和7年分 所得税及び復興特別所得税の確定申告書".encode()
        sig = holder.sign(w, card_id, "sign", doc, pin="noto2025")
        cert = x509.load_der_x509_certificate(repo.current_certificate(w.session, card_id, "sign").der)  # type: ignore[union-attr]
        cert.public_key().verify(sig, doc, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
        console.print(
            f"Signature of {len(sig)} bytes made on the chip; the tax office verifies it against the "
            "certificate and asks OCSP: good."
        )

    with s.step("2026-07-31T10:00", "Taro files a moving-out notice for 金沢市 (転出届)") as w:
        face.move_out(w, taro, to_municipality="172014", planned_on=date(2026, 8, 1))
    with s.step("2026-08-05T11:00", "Moving-in notice at 金沢市 (転入届): the address changes", "金沢市 clerk") as w:
        res = face.move_in(w, taro, new_address="石川県金沢市広坂1丁目1番1号", moved_in_on=date(2026, 8, 2))
        console.print(
            f"Signing certificate: {res.certificates.get('sign')} (R_CERT_5); the authentication "
            f"certificate survives. Card to be presented by {res.present_by} (R_CARD_8)."
        )
        s.statuses(w, card_id)
    with s.step(
        "2026-08-10T14:00", "Continued use (継続利用) with the resident PIN; a new signing certificate", "金沢市 clerk"
    ) as w:
        face.continued_use(w, card_id, resident_pin=PINS["resident"], new_signing_pin="KANAZAWA26")
        console.print("New address written in the notes field (追記欄) and on the chip.")
        s.statuses(w, card_id)

    with s.step("2027-01-17T03:00", "Lost! Taro calls the 24/7 hotline at 3 a.m. on a Sunday", "hotline") as w:
        sus = loss.hotline_suspend(
            w, name="能登 太郎", birth_date=date(1990, 6, 15), address="石川県金沢市広坂1丁目1番1号"
        )
        console.print(f"Reference {sus.reference}: card suspended, both certificates on hold (R_LOSS_1).")
        s.statuses(w, card_id)
    with s.step(
        "2027-01-19T09:30", "Found in a coat pocket: suspension and holds lifted (一時停止解除)", "金沢市 clerk"
    ) as w:
        loss.found(w, card_id)
        s.statuses(w, card_id)

    with s.step("2029-03-20T09:00", "J-LIS daily batch: expiry notices due (有効期限通知書)", "batch") as w:
        rep = batch.daily(w)
        for n in rep.notices:
            console.print(
                f"Notice: {n.subject} expires {both(n.expires_on)}; renewal application ID {n.application_id}."
            )
    with s.step("2029-04-02T10:00", "Certificate renewal inside the 3-month window", "金沢市 clerk") as w:
        for kind in ("auth", "sign"):
            certificates.renew(w, card_id, kind)
        console.print("Renewed inside the window: to the 6th birthday, capped by the card (R_CERT_3).")
        s.statuses(w, card_id)

    with s.step("2034-03-20T09:00", "J-LIS daily batch: the card's expiry notice", "batch") as w:
        for n in batch.daily(w).notices:
            console.print(
                f"Notice: {n.subject} expires {both(n.expires_on)}; renewal application ID {n.application_id}."
            )
    with s.step("2034-04-01T10:00", "Card renewal applied for inside the window (更新)", "resident") as w:
        new_card = cards.apply(w, taro, kind="renewal", channel="online").card.id
    with s.step("2034-04-20T10:00", "J-LIS makes the new card", "J-LIS") as w:
        c = cards.make(w, new_card)
        console.print(f"Applied inside the window: to the 11th birthday, {both(c.expires_on)} (R_CARD_6).")
    with s.step("2034-05-01T10:00", "Hand-over of the new card; the old one loses effect", "金沢市 clerk") as w:
        cards.issue(w, new_card, identity_documents=["mynumber_card", "drivers_license"], pins=PINS)
        s.statuses(w, new_card)
        console.print(
            f"Old card {card_id}: {repo.card(w.session, card_id).state} — its certificates revoked (R_CERT_7)."
        )  # type: ignore[union-attr]
    console.rule("[bold green]done")
    console.print(
        f"Explore: mynacard --db {o.db} resident show {taro}  |  mynacard --db {o.db} events "
        f"|  mynacard --db {o.db} export ./export"
    )


def _number() -> str:
    from mynacard.ids import IndividualNumber

    return str(IndividualNumber.generate())

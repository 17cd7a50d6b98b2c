"""The window's other tasks: resident registration, moving in (転入届), the daily batch with its
print queue of expiry notices, the simulated clock, renewals due and the hotline. Every POST
redirects (PRG, see ``prg``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select

from mynacard import audit
from mynacard.db import repositories as repo
from mynacard.db.models import Move, Municipality, Resident
from mynacard.errors import MynaError, NotFoundError, StateError, ValidationError
from mynacard.ids import IndividualNumber
from mynacard.services import batch, face, printqueue, residents
from mynacard.services.context import Work
from mynacard.services.renewals import renewals_due
from mynacard.timeutil import JST, jst_date
from mynacard.web.api.hotline import suspend
from mynacard.web.api.schemas import ClockIn, HotlineIn
from mynacard.web.deps.desk import Desk
from mynacard.web.deps.roles import PERMISSIONS
from mynacard.web.ui import flash
from mynacard.web.ui.actions import Check
from mynacard.web.ui.prg import done, fail
from mynacard.web.ui.render import form_post, page, ui_desk
from mynacard.web.ui.router import router

SEXES_JA = {"1": "男", "2": "女", "9": "不明"}


def _municipalities(desk: Desk) -> list[tuple[str, str]]:
    with desk.office.work(at=desk.now, actor=desk.p.username) as w:
        return [(m.code, m.name) for m in w.session.scalars(select(Municipality).order_by(Municipality.code))]


# --- resident registration (住民登録) ---------------------------------------------------------


@router.get("/register")
def register_page(request: Request, f: str = "") -> Response:
    desk = ui_desk(request)
    desk.allow("resident.register", "register")
    desk.action = ""
    state = flash.get(request, desk.p, f)
    return page(request, "register.html", desk, municipalities=_municipalities(desk), SEXES_JA=SEXES_JA,
                errors=state.get("errors", {}), general=state.get("general", []), values=state.get("values", {}),
                lists=state.get("lists", {}), status=state.get("status", 200))


@router.post("/register")
async def register_submit(request: Request) -> Response:
    desk, form = await form_post(request)
    lists = request.state.form_lists
    desk.allow("resident.register", "register")
    desk.action = ""
    try:
        code = (desk.p.municipality_code or "") if desk.p.scoped else form.get("municipality_code", "")
        chk = Check(form, lists)
        name = chk.need("name", "氏名", limit=100)  # in the order of the form: the first error takes the focus
        birth = chk.day("birth_date", "生年月日")
        sex = chk.choice("sex", SEXES_JA, "性別")
        address = chk.need("address", "住所")
        number = form.get("individual_number", "").strip()
        if form.get("auto_number"):
            number = str(IndividualNumber.generate())
        elif not number:
            chk.add("individual_number", "個人番号を入力するか、自動採番を選んでください。")
        else:
            try:
                IndividualNumber(number)
            except MynaError as e:
                chk.add("individual_number", e.message_ja)
        if not code:
            chk.add("municipality_code", "市区町村を選んでください。")
        chk.done()
        with desk.act("resident.register", f"municipality:{code}") as w:
            desk.check_scope(code)
            r = residents.register(w, individual_number=number, name=name, address=address, birth_date=birth or "",
                                   sex=sex, municipality_code=code, name_kana=chk.text("name_kana"))
            desk.target = f"resident:{r.id}"
            rid = r.id
    except MynaError as e:
        return fail(request, desk, e, "/register", form, lists)
    return done(request, desk, f"/residents/{rid}", title="住民登録",
                message=f"{name} さんを住民登録しました(住民ID {rid})。続けて交付申請ができます。", links=[])


# --- moving in (転入届) at the new municipality -----------------------------------------------


def _moves_in(desk: Desk) -> list[dict[str, object]]:
    with desk.act("card.face", "moving-in") as w:
        q = (select(Move, Resident).join(Resident, Resident.id == Move.resident_id)
             .where(Move.status == "moving_out").order_by(Move.planned_move_out_on))
        if desk.p.scoped:
            q = q.where(Move.to_code == desk.p.municipality_code)
        names = {m.code: m.name for m in w.session.scalars(select(Municipality))}
        return [{"rid": r.id, "name": r.name, "birth_date": r.birth_date, "from": names.get(mv.from_code, mv.from_code),
                 "to": names.get(mv.to_code, mv.to_code), "planned_on": mv.planned_move_out_on, "card_id": mv.card_id}
                for mv, r in w.session.execute(q)]


@router.get("/moving-in")
def moving_in_list(request: Request) -> Response:
    """Residents who filed a moving-out notice to this municipality (転入予定者)."""
    desk = ui_desk(request)
    return page(request, "moving_in.html", desk, rows=_moves_in(desk), row=None)


def _incoming(desk: Desk, rid: int) -> dict[str, object]:
    row = next((x for x in _moves_in(desk) if x["rid"] == rid), None)
    if row is None:
        raise NotFoundError("No moving-in is expected for this resident.", "この住民の転入予定はありません。")
    return row


@router.get("/moving-in/{rid}")
def moving_in_page(request: Request, rid: int, f: str = "") -> Response:
    desk = ui_desk(request)
    row = _incoming(desk, rid)
    state = flash.get(request, desk.p, f)
    return page(request, "moving_in.html", desk, rows=None, row=row, errors=state.get("errors", {}),
                general=state.get("general", []), values=state.get("values", {}), today=jst_date(desk.now),
                status=state.get("status", 200))


def _moving_in_here(desk: Desk, w: Work, rid: int) -> Move | None:
    """The resident's open move, for the municipality it goes to (or the resident's own)."""
    r = repo.resident(w.session, rid, for_update=True)
    missing = NotFoundError(f"No resident with ID {rid}.", f"住民ID {rid} の住民は登録されていません。")
    if r is None:
        raise missing
    mv = repo.open_move(w.session, rid)
    desk.hidden(mv.to_code if mv is not None else r.municipality_code, missing)
    return mv


@router.post("/moving-in/{rid}")
async def moving_in_submit(request: Request, rid: int) -> Response:
    desk, form = await form_post(request)
    if not 1 <= rid < 2**31:
        raise NotFoundError("No such resident.", "住民が見つかりません。")
    desk.allow("card.face", f"resident:{rid}")
    with desk.office.work(at=desk.now, actor=desk.p.username) as w:
        _moving_in_here(desk, w, rid)  # anyone else: the resident looks unknown (404)
    desk.action = ""
    try:
        chk = Check(form, request.state.form_lists)
        address = chk.need("new_address", "転入先の住所")
        moved = chk.day("moved_in_on", "転入日")
        notice = chk.day("notice_on", "届出日", required=False)
        with desk.act("card.face", f"resident:{rid}") as w:
            mv = _moving_in_here(desk, w, rid)
            if mv is None or mv.status != "moving_out":
                raise StateError("File the moving-out notice first (move-out).", "先に転出届を提出してください。")
            chk.done()
            assert moved is not None
            res = face.move_in(w, rid, new_address=address, moved_in_on=moved, notice_on=notice)
    except MynaError as e:
        return fail(request, desk, e, f"/moving-in/{rid}", form)
    msg = "転入届を受け付けました。"
    if res.present_by:
        msg += f"カードの継続利用の手続きを {res.present_by} までに行ってください(このページの「転入後の継続利用」)。"
    elif res.card is not None and res.card.state != "issued":
        msg += "届出が遅れたため、カードは失効しました。"
    return done(request, desk, f"/residents/{rid}", title="転入届", message=msg, links=[])


# --- the daily batch and the print queue of expiry notices ------------------------------------


@router.get("/batch")
def batch_page(request: Request, f: str = "", day: str = "", show: str = "unprinted") -> Response:
    """The daily batch (expiries, lapses, expiry notices) and the notices to print (R_USE_3):
    the unprinted by default, each marked printed by the clerk who printed it."""
    desk = ui_desk(request)
    today = jst_date(desk.now)
    on = residents.parse_date("day", day) if day else today
    code = desk.p.municipality_code if desk.p.scoped else None
    with desk.act("notice.print", "print-queue") as w:
        chosen = printqueue.check_show(show)
        queue = printqueue.notices(w, day=on, municipality_code=code, show=chosen)
        counts = printqueue.counts(w, day=on, municipality_code=code)
    result = flash.get(request, desk.p, f)
    return page(request, "batch.html", desk, result=result, queue=queue, status=result.get("status", 200),
                day=on, today=today, prev=on - timedelta(days=1), next=on + timedelta(days=1), show=chosen,
                counts=counts, SHOW_JA=printqueue.SHOW_JA, JST=JST, can_run=desk.p.role in PERMISSIONS["batch.run"])


@router.post("/batch/printed")
async def batch_printed(request: Request) -> Response:
    """Mark one notice (``notice``) or every notice shown (``all`` with ``shown``) as printed."""
    desk, form = await form_post(request)
    lists: dict[str, list[str]] = request.state.form_lists
    picked = lists.get("shown", []) if form.get("all") else lists.get("notice", [])[:1]
    query = urlencode({k: v for k in ("day", "show") if (v := form.get(k, ""))})
    back = f"/batch?{query}" if query else "/batch"
    try:
        ids = [int(x) for x in picked if x.isdigit() and len(x) < 10]
        desk.allow("notice.print", "print-queue")
        with desk.office.work(at=desk.now, actor=desk.p.username) as w:
            res = printqueue.mark_printed(
                w, ids, municipality_code=desk.p.municipality_code if desk.p.scoped else None)
            # who marked which notices, committed with the marks
            audit.append_in(w.session, at=desk.now, actor=desk.p.username, role=desk.p.role.value,
                            action="notice.printed", target="print-queue", outcome="ok",
                            notices=",".join(map(str, res.marked)))
        desk.action = ""
    except MynaError as e:
        return fail(request, desk, e, back, form)
    msg = f"{len(res.marked)}件の有効期限通知書を印刷済みにしました。"
    if res.already:
        msg += f"{res.already}件はすでに印刷済みでした。"
    if res.unknown:
        msg += f"{res.unknown}件は見つかりませんでした。"
    return done(request, desk, back, printed=msg)


@router.post("/batch")
async def batch_submit(request: Request) -> Response:
    desk, form = await form_post(request)
    try:
        with desk.act("batch.run", "batch") as w:
            rep = batch.daily(w, municipality_code=desk.p.municipality_code if desk.p.scoped else None)
            desk.details = {"notices": len(rep.notices)}
            summary = {"expired_cards": list(rep.expired_cards), "expired_certificates": list(rep.expired_certificates),
                       "lapsed_cards": list(rep.lapsed_cards), "notices": len(rep.notices)}
    except MynaError as e:
        return fail(request, desk, e, "/batch", form)
    return done(request, desk, "/batch", ran_at=desk.now.strftime("%Y-%m-%d %H:%M"), **summary)


# --- the simulated clock ----------------------------------------------------------------------


@router.get("/clock")
def clock_page(request: Request, f: str = "") -> Response:
    desk = ui_desk(request)
    desk.allow("admin.clock", "clock")
    desk.action = ""
    state = flash.get(request, desk.p, f)
    clock = desk.st.clock
    return page(request, "clock.html", desk, simulated=clock.simulated, advance=clock.advance,
                errors=state.get("errors", {}), general=state.get("general", []), values=state.get("values", {}),
                result=state.get("message"), status=state.get("status", 200))


@router.post("/clock")
async def clock_submit(request: Request) -> Response:
    desk, form = await form_post(request)
    desk.allow("admin.clock", "clock")
    try:
        if form.get("real"):
            at = None
        else:
            text = form.get("at", "").strip()
            try:
                at = datetime.fromisoformat(text)
            except ValueError:
                raise ValidationError("at", "Give the time as YYYY-MM-DDTHH:MM.",
                                      "日時を正しく入力してください(例 2030-01-15 09:00)。") from None
            if at.tzinfo is None:
                at = at.replace(tzinfo=JST)
            try:
                ClockIn(at=at, advance=bool(form.get("advance")))
            except ValueError:
                raise ValidationError("at", "This time cannot be simulated (1950-9000).",
                                      "この日時には設定できません(1950年から9000年まで)。") from None
        desk.st.clock.set(at, advance=bool(form.get("advance")) if at is not None else None)
        desk.audit("admin.clock", "clock", set_to=at.isoformat() if at else "real")
        desk.action = ""
    except MynaError as e:
        return fail(request, desk, e, "/clock", form)
    now = desk.st.clock.now()
    return done(request, desk, "/clock", message=f"業務日時を {now:%Y-%m-%d %H:%M} に設定しました。")


# --- renewals due -----------------------------------------------------------------------------


@router.get("/renewals")
def renewals(request: Request) -> Response:
    """Cards and certificates whose renewal window is open (R_CARD_6, R_CERT_3)."""
    desk = ui_desk(request)
    today = jst_date(desk.now)
    with desk.act("resident.read", "renewals") as w:
        code = desk.p.municipality_code if desk.p.scoped else None
        rows = renewals_due(w, municipality_code=code, until=today)
    return page(request, "renewals.html", desk, rows=rows, today=today)


# --- the hotline ------------------------------------------------------------------------------


@router.get("/hotline")
def hotline_page(request: Request, f: str = "") -> Response:
    desk = ui_desk(request)
    desk.allow("hotline.suspend", "hotline")
    desk.action = ""
    state = flash.get(request, desk.p, f)
    return page(request, "hotline.html", desk, result=state.get("result"), errors=state.get("errors", {}),
                general=state.get("general", []), values=state.get("values", {}), status=state.get("status", 200))


@router.post("/hotline")
async def hotline_submit(request: Request) -> Response:
    desk, form = await form_post(request)
    desk.allow("hotline.suspend", "hotline")
    desk.action = ""
    try:
        chk = Check(form, request.state.form_lists)
        name = chk.need("name", "氏名", limit=100)
        birth = chk.day("birth_date", "生年月日")
        caller = chk.choice("caller", ["holder", "family", "representative"], "ご連絡者", default="holder")
        chk.done()
        assert birth is not None
        body = HotlineIn(name=name, birth_date=birth, address=form.get("address", "").strip()[:200] or None,
                         caller=caller)
        result = suspend(desk, body)
    except MynaError as e:
        return fail(request, desk, e, "/hotline", form)
    return done(request, desk, "/hotline", result={"reference": result["reference"], "next_ja": result["next_ja"]})


__all__ = ["router"]

"""What must hold in the store whenever a process finds it, even right after another was
killed mid-workflow. Each check returns messages; an empty list means the store is sound.

- no half-issued card: a card's state, its fields, its chip, its certificates, its application
  and its events tell the same story;
- no event dated before the event it depends on (applied <= made <= issued; a certificate's
  hold, release or revocation after its issue), and no once-only event twice;
- one current card per resident (and one card being made);
- unique serials (the row, the DER and the issue events agree);
- every certificate's status agrees with its card's state;
- OCSP answers and CRLs (full and delta, per CA and per municipality) agree with the store.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from sqlalchemy import select

from mynacard.chip import KeySlot
from mynacard.db.models import Application, Card, CardState, Certificate, CertStatus, Event, Resident
from mynacard.db.staff import OcspCacheEntry
from mynacard.services import pki
from mynacard.services.context import Office, Work
from mynacard.services.pinstore import open_state
from mynacard.services.revocation import crls
from mynacard.services.revocation.ocsp import answer
from mynacard.timeutil import jst_date

LIVE = (CardState.ISSUED, CardState.SUSPENDED)
PENDING = (CardState.APPLIED, CardState.MADE)
ENDED = (CardState.EXPIRED, CardState.RETURNED, CardState.LAPSED, CardState.REISSUED)
CURRENT = (CertStatus.GOOD, CertStatus.HOLD)
ONCE_PER_CARD = ("card_applied", "card_made", "card_issued")
STATUS_EVENTS = {
    "certificate_issued": CertStatus.GOOD,
    "certificate_released": CertStatus.GOOD,
    "certificate_held": CertStatus.HOLD,
    "certificate_revoked": CertStatus.REVOKED,
}
APP_STATUS = {CardState.APPLIED: "received", CardState.MADE: "made"}


def check_store(
    office: Office,
    *,
    at: datetime,
    spec: dict[str, Any] | None = None,
    done: bool = False,
    notes: list[str] | None = None,
) -> list[str]:
    """Every invariant over the whole store; OCSP for ``spec``'s resident (all when None);
    with ``done``, also that ``spec``'s workflow reached its end. Errors of the revocation
    services that are known and being fixed elsewhere go to ``notes``, not the result."""
    with office.store.sessions() as s:
        w = Work(office, s, at, "crash-checker")
        try:
            out = _cards(s, office.master_key) + _certificates(s) + _events(s)
            rid = spec["resident"] if spec and "resident" in spec else None
            out += _ocsp(w, rid) + _crls(w, notes if notes is not None else [])
            if done and spec:
                out += _goal(s, spec)
            return out
        finally:
            s.rollback()  # the checker's OCSP and CRL signing is not kept


def _cards(s: Any, master_key: bytes) -> list[str]:
    out: list[str] = []
    live: dict[int, list[str]] = defaultdict(list)
    pending: dict[int, list[str]] = defaultdict(list)
    apps = {a.id: a for a in s.scalars(select(Application))}
    certs_of: dict[str, list[Certificate]] = defaultdict(list)
    for c in s.scalars(select(Certificate)):
        certs_of[c.card_id].append(c)
    for c in s.scalars(select(Card)):
        st = CardState(c.state)
        if st in LIVE:
            live[c.resident_id].append(c.id)
        if st in PENDING:
            pending[c.resident_id].append(c.id)
        certs = certs_of[c.id]
        if st is CardState.APPLIED and (c.chip_state or c.made_on):
            out.append(f"card {c.id} is applied for but has a chip or a making date")
        if st is not CardState.APPLIED and (not c.chip_state or not c.made_on or not c.expires_on):
            out.append(f"card {c.id} is {st} without its chip, making date or expiry")
        if st is CardState.MADE and (c.issued_on or certs):
            out.append(f"half-issued card {c.id}: made, yet has an issue date or {len(certs)} certificate(s)")
        if st in LIVE or (st in ENDED and c.issued_on):
            if not c.issued_on or not any(x.kind == "auth" for x in certs):
                out.append(f"half-issued card {c.id}: {st} without its issue date or authentication certificate")
        if st is CardState.SUSPENDED and c.suspended_at is None:
            out.append(f"card {c.id} is suspended without a suspension time")
        app = apps.get(c.application_id)
        if app is None:
            out.append(f"card {c.id} has no application {c.application_id}")
        elif st in APP_STATUS and app.status != APP_STATUS[st]:
            out.append(f"card {c.id} is {st} but its application is {app.status}")
        elif st not in APP_STATUS and c.issued_on and app.status != "issued":
            out.append(f"card {c.id} is {st} but its application is {app.status}")
        out += _card_certificates(c, st, certs, master_key)
    for rid, ids in live.items():
        if len(ids) > 1:
            out.append(f"resident {rid} has {len(ids)} current cards: {ids}")
    for rid, ids in pending.items():
        if len(ids) > 1:
            out.append(f"resident {rid} has {len(ids)} cards being made: {ids}")
    return out


def _card_certificates(c: Card, st: CardState, certs: list[Certificate], master_key: bytes) -> list[str]:
    """The card's certificates agree with its state and with its (sealed) chip."""
    out: list[str] = []
    current: dict[str, list[Certificate]] = defaultdict(list)
    for x in certs:
        if x.status in CURRENT:
            current[x.kind].append(x)
        if st in ENDED and x.status in CURRENT:
            out.append(f"certificate {x.serial:x} is {x.status} on card {c.id}, which is {st}")
        if st is CardState.SUSPENDED and x.status == CertStatus.GOOD:
            out.append(f"certificate {x.serial:x} is good on suspended card {c.id}")
        if st is CardState.ISSUED and x.status == CertStatus.HOLD:
            out.append(f"certificate {x.serial:x} is on hold on card {c.id}, which is in effect")
        if x.status in (CertStatus.HOLD, CertStatus.REVOKED) and x.revoked_at is None:
            out.append(f"certificate {x.serial:x} is {x.status} without a revocation time")
    for kind, rows in current.items():
        if len(rows) > 1:
            out.append(f"card {c.id} has {len(rows)} {kind} certificates in effect")
    if st in LIVE and c.chip_state:
        chip = open_state(c.id, c.chip_state, master_key)
        for kind, rows in current.items():
            if chip.certificates.get(KeySlot(kind)) != rows[0].der:
                out.append(f"card {c.id}: the chip's {kind} certificate is not {rows[0].serial:x}, the store's")
            if KeySlot(kind) not in chip.sealed_keys:
                out.append(f"card {c.id}: no {kind} key on the chip for certificate {rows[0].serial:x}")
    return out


def _certificates(s: Any) -> list[str]:
    out: list[str] = []
    seen: dict[tuple[str, int], int] = {}
    for c in s.scalars(select(Certificate)):
        der_serial = x509.load_der_x509_certificate(c.der).serial_number
        if der_serial != c.serial:
            out.append(f"certificate row {c.serial:x} holds a certificate with serial {der_serial:x}")
        key = (c.kind, der_serial)
        if key in seen:
            out.append(f"serial {der_serial:x} issued twice by the {c.kind} CA")
        seen[key] = c.serial
    return out


def _events(s: Any) -> list[str]:
    out: list[str] = []
    cards = {c.id: c for c in s.scalars(select(Card))}
    certs = {c.serial: c for c in s.scalars(select(Certificate))}
    by_card: dict[str, dict[str, list[Event]]] = defaultdict(lambda: defaultdict(list))
    by_serial: dict[int, list[Event]] = defaultdict(list)
    for ev in s.scalars(select(Event).order_by(Event.id)):
        if ev.card_id:
            by_card[ev.card_id][ev.action].append(ev)
            if ev.card_id not in cards:
                out.append(f"event {ev.id} {ev.action} names card {ev.card_id}, which does not exist")
        if ev.certificate_serial and ev.action in STATUS_EVENTS:
            by_serial[ev.certificate_serial].append(ev)
            if ev.certificate_serial not in certs:
                out.append(f"event {ev.id} {ev.action} names a certificate that does not exist: "
                           f"{ev.certificate_serial:x}")
    for card_id, c in cards.items():
        evs = by_card.get(card_id, {})
        for action in ONCE_PER_CARD:
            if len(evs.get(action, [])) > 1:
                out.append(f"card {card_id}: {len(evs[action])} {action} events")
        chain = [evs[a][0].at for a in ONCE_PER_CARD if evs.get(a)]
        if chain != sorted(chain):
            out.append(f"card {card_id}: applied, made and issued are dated out of order: {chain}")
        want = {CardState.MADE: "card_made", CardState.ISSUED: "card_issued", CardState.SUSPENDED: "card_issued"}
        need = want.get(CardState(c.state))
        if need and not evs.get(need):
            out.append(f"card {card_id} is {c.state} without a {need} event")
        if c.state == CardState.MADE and evs.get("card_issued"):
            out.append(f"card {card_id} is made, yet has a card_issued event")
        made = evs.get("card_made")
        for ev in (e for a in ("card_issued", "card_suspended", "certificate_issued") for e in evs.get(a, [])):
            if made and ev.at < made[0].at:
                out.append(f"card {card_id}: {ev.action} at {ev.at} is before card_made at {made[0].at}")
    for serial, c in certs.items():
        evs = by_serial.get(serial, [])
        issued = [e for e in evs if e.action == "certificate_issued"]
        if len(issued) != 1:
            out.append(f"certificate {serial:x} has {len(issued)} certificate_issued events")
            continue
        for e in evs:
            if e.at < issued[0].at:
                out.append(f"certificate {serial:x}: {e.action} at {e.at} is before its issue at {issued[0].at}")
        last = STATUS_EVENTS[evs[-1].action]
        if c.status in STATUS_EVENTS.values() and last != c.status:
            out.append(f"certificate {serial:x} is {c.status} but its last event says {last}")
    return out


def _ocsp(w: Work, resident_id: int | None) -> list[str]:
    out: list[str] = []
    q = select(Certificate)
    if resident_id is not None:
        q = q.where(Certificate.resident_id == resident_id)
    for c in w.session.scalars(q):
        issuer = pki.authority(w, c.kind).certificate
        cert = x509.load_der_x509_certificate(c.der)
        req = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
        resp = ocsp.load_der_ocsp_response(answer(w.office, c.kind, req.public_bytes(Encoding.DER), at=w.at))
        said = _said(resp)
        if said != c.status:
            out.append(f"OCSP says {said} for certificate {c.serial:x}, the store says {c.status}")
        row = w.session.get(OcspCacheEntry, c.serial)
        if row is not None and row.status == c.status:
            stored = _said(ocsp.load_der_ocsp_response(row.der))
            if stored != row.status:
                out.append(f"the pre-signed OCSP response of {c.serial:x} says {stored}, its row {row.status}")
    return out


def _said(resp: ocsp.OCSPResponse) -> str:
    if resp.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return f"({resp.response_status.name})"
    if resp.certificate_status == ocsp.OCSPCertStatus.GOOD:
        return CertStatus.GOOD
    if resp.certificate_status == ocsp.OCSPCertStatus.REVOKED:
        return CertStatus.HOLD if resp.revocation_reason == x509.ReasonFlags.certificate_hold else CertStatus.REVOKED
    return "unknown"


def _crls(w: Work, notes: list[str]) -> list[str]:
    out: list[str] = []
    today = jst_date(w.at)
    rows = list(w.session.scalars(select(Certificate)))
    scopes = {""} | {c.municipality_code for c in rows}
    for kind in ("sign", "auth"):
        for scope in sorted(scopes):
            listed = {
                c.serial: c.status
                for c in rows
                if c.kind == kind and c.status in (CertStatus.REVOKED, CertStatus.HOLD) and c.expires_on >= today
                and (not scope or c.municipality_code == scope)
            }
            crl = x509.load_der_x509_crl(crls.full_crl(w, kind, scope))
            got = {r.serial_number: _entry_status(r) for r in crl}
            if got != listed:
                missing = sorted(f"{k:x}" for k in set(listed) - set(got))
                extra = sorted(f"{k:x}" for k in set(got) - set(listed))
                wrong = sorted(f"{k:x}" for k in set(got) & set(listed) if got[k] != listed[k])
                out.append(f"{kind} CRL {scope or 'whole CA'} disagrees with the store: "
                           f"missing {missing}, extra {extra}, wrong status {wrong}")
            status = {c.serial: c.status for c in rows}
            delta = crls.delta_crl(w, kind, scope)
            for r in x509.load_der_x509_crl(delta):
                st = _entry_status(r)
                if st == "removed" and status.get(r.serial_number) != CertStatus.GOOD:
                    out.append(f"{kind} delta CRL {scope}: {r.serial_number:x} removed but is "
                               f"{status.get(r.serial_number)}")
                elif st != "removed" and status.get(r.serial_number) != st:
                    out.append(f"{kind} delta CRL {scope}: {r.serial_number:x} listed {st} but is "
                               f"{status.get(r.serial_number)}")
    return out


def _entry_status(r: x509.RevokedCertificate) -> str:
    try:
        reason = r.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return CertStatus.REVOKED
    if reason == x509.ReasonFlags.certificate_hold:
        return CertStatus.HOLD
    if reason == x509.ReasonFlags.remove_from_crl:
        return "removed"
    return CertStatus.REVOKED


def _goal(s: Any, spec: dict[str, Any]) -> list[str]:
    """The workflow ran to its end (after the restart)."""
    op = spec["op"]
    c = s.get(Card, spec["card"])
    certs = {k: [x for x in s.scalars(select(Certificate).where(Certificate.card_id == c.id))
                 if x.kind == k] for k in ("sign", "auth")}
    cur = {k: [x.status for x in v] for k, v in certs.items()}
    problems: list[str] = []

    def expect(what: bool, text: str) -> None:
        if not what:
            problems.append(f"{op} did not reach its end: {text} (card {c.id} {c.state}, certificates {cur})")

    if op == "issue":
        expect(c.state == CardState.ISSUED and cur == {"sign": ["good"], "auth": ["good"]}, "issued, two good")
    elif op == "hotline":
        expect(c.state == CardState.SUSPENDED and cur == {"sign": ["hold"], "auth": ["hold"]}, "suspended, held")
    elif op == "revoke":
        expect(cur == {"sign": ["revoked"], "auth": ["revoked"]}, "both revoked")
    elif op == "move":
        r = s.get(Resident, spec["resident"])
        expect(sorted(cur["sign"]) == ["good", "revoked"] and cur["auth"] == ["good"], "sign reissued")
        expect(r.address.endswith("井田1番地"), "new address")
    elif op == "reissue":
        new = [x for x in s.scalars(select(Card).where(Card.resident_id == spec["resident"])) if x.id != c.id]
        expect(c.state == CardState.REISSUED and cur == {"sign": ["revoked"], "auth": ["revoked"]}, "old replaced")
        expect(len(new) == 1 and new[0].state == CardState.ISSUED, f"one new card issued ({[x.state for x in new]})")
    return problems

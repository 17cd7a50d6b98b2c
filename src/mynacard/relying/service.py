"""Relying-party workflows, each one unit of work at the time passed in.

A relying party (RP) is registered by the office (CLI or admin API) and gets a client ID and a
secret (shown once; only its SHA-256 is stored: the secret is 256 random bits, so a plain hash
cannot be brute-forced). Every call is audited under the RP's client ID, refusals included.

* ``status``: the certificate's status (good / hold / revoked with reason and date / expired).
* ``linkage``: for a certificate the RP holds (the whole certificate, not only its serial, so
  that serials cannot be probed), the other certificate on the same card and the certificates
  that followed it after a renewal, reissue or change of the basic four attributes, up to the
  latest. An RP keeps one user ID by following that chain; no stable holder ID is ever given.
* ``attributes``: the holder's latest basic four attributes, only while the holder's consent to
  this RP is on record (given at the window, or signed by the holder with the signing key).
* notifications: status changes of the certificates an RP asked about, pushed to its webhook
  (HMAC-SHA256 signed) by ``deliver``, or read with ``notifications``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from mynacard import audit
from mynacard.crypto import seal, unseal
from mynacard.db import repositories as repo
from mynacard.db.models import Certificate, CertStatus, Event
from mynacard.db.relying import FollowedCertificate, HolderConsent, RelyingParty
from mynacard.errors import MynaError, NotFoundError, ValidationError
from mynacard.services.context import Office, Work

ROLE = "relying_party"
WATCHED_ACTIONS = ("certificate_revoked", "certificate_held", "certificate_released", "certificate_expired")
_WEBHOOK_CONTEXT = b"rp-webhook"


class Refused(MynaError):
    """Missing or wrong credentials, or a holder who has not consented."""

    code = "refused"
    http_status = 403


class Unauthenticated(Refused):
    code = "unauthenticated"
    http_status = 401


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_webhook_url(url: str | None) -> str | None:
    if url is None or url == "":
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 400:
        raise ValidationError(
            "webhook_url",
            "The webhook URL must be an absolute http(s) URL of at most 400 characters.",
            "通知先URLが不正です。",
        )
    return url


@dataclass(frozen=True)
class Registration:
    relying_party: RelyingParty
    secret: str  # shown once
    webhook_secret: str | None  # shown once; signs the webhook bodies


def register(w: Work, name: str, *, webhook_url: str | None = None) -> Registration:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError(
            "name", "Give the relying party's name (1 to 100 characters).", "事業者名を入力してください。"
        )
    secret = secrets.token_urlsafe(32)
    rp = RelyingParty(
        client_id="rp-" + secrets.token_hex(8),
        name=name,
        secret_hash=_hash(secret),
        notified_event_id=_last_event_id(w),
        active=True,
        created_at=w.at,
    )
    hook_secret = _set_webhook(w, rp, webhook_url)
    w.session.add(rp)
    w.session.flush()
    w.log("relying_party_registered", client_id=rp.client_id, name=name)
    return Registration(rp, secret, hook_secret)


def _set_webhook(w: Work, rp: RelyingParty, url: str | None) -> str | None:
    rp.webhook_url = check_webhook_url(url)
    if rp.webhook_url is None:
        rp.sealed_webhook_secret = None
        return None
    hook_secret = secrets.token_urlsafe(32)
    rp.sealed_webhook_secret = seal(hook_secret.encode(), w.office.master_key, context=_WEBHOOK_CONTEXT)
    return hook_secret


def set_webhook(w: Work, rp: RelyingParty, url: str | None) -> str | None:
    """Set (or clear) the webhook; returns its new signing secret (shown once)."""
    secret = _set_webhook(w, rp, url)
    rp.notified_event_id = max(rp.notified_event_id, _last_event_id(w))
    return secret


def _last_event_id(w: Work) -> int:
    last = w.session.scalars(select(Event.id).order_by(Event.id.desc()).limit(1)).first()
    return int(last or 0)


def parties(w: Work) -> Sequence[RelyingParty]:
    return w.session.scalars(select(RelyingParty).order_by(RelyingParty.id)).all()


def by_client_id(w: Work, client_id: str) -> RelyingParty:
    rp = w.session.scalars(select(RelyingParty).where(RelyingParty.client_id == client_id)).first()
    if rp is None:
        raise NotFoundError(f"No relying party {client_id}.", f"署名検証者 {client_id} は登録されていません。")
    return rp


def authenticate(office: Office, client_id: str, secret: str, *, at: datetime) -> RelyingParty | None:
    """The active RP these credentials belong to, or ``None`` (the caller audits the refusal)."""
    with office.store.sessions() as s:
        rp = s.scalars(select(RelyingParty).where(RelyingParty.client_id == client_id[:40])).first()
        ok = rp is not None and rp.active and hmac.compare_digest(rp.secret_hash, _hash(secret))
        if rp is not None:
            s.expunge(rp)
    return rp if ok else None


def audit_refusal(office: Office, *, at: datetime, actor: str, action: str, target: str = "", reason: str) -> None:
    audit.append(
        office.store,
        at=at,
        actor=actor[:64] or "anonymous",
        role=ROLE,
        action=action,
        target=target,
        outcome="denied",
        reason=reason,
    )


def audit_ok(w: Work, rp: RelyingParty, action: str, target: str = "", **details: Any) -> None:
    audit.append_in(w.session, at=w.at, actor=rp.client_id, role=ROLE, action=action, target=target, **details)


# -- certificates ---------------------------------------------------------------------------


def _row(w: Work, cert: x509.Certificate | int) -> Certificate:
    """The issued certificate: by serial, or by the whole certificate (which must be ours)."""
    serial = cert if isinstance(cert, int) else cert.serial_number
    row = repo.certificate(w.session, serial)
    if row is None or (isinstance(cert, x509.Certificate) and row.der != cert.public_bytes(Encoding.DER)):
        raise NotFoundError(
            "The JPKI CAs did not issue this certificate.",
            "この電子証明書は公的個人認証サービスが発行したものではありません。",
        )
    return row


def _insert_ignore(w: Work, model: Any, **values: Any) -> None:
    """INSERT … ON CONFLICT DO NOTHING: safe when two requests of one RP race (PostgreSQL)."""
    if w.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    w.session.execute(insert(model).values(**values).on_conflict_do_nothing())


def _follow(w: Work, rp: RelyingParty, serial: int) -> None:
    _insert_ignore(w, FollowedCertificate, relying_party_id=rp.id, serial=serial, since=w.at)


def _status(w: Work, row: Certificate) -> dict[str, Any]:
    status = row.status
    if status in (CertStatus.GOOD, CertStatus.HOLD) and row.expires_on < w.today:
        status = CertStatus.EXPIRED
    return {
        "serial": format(row.serial, "x"),
        "kind": row.kind,
        "status": str(status),
        "reason": row.reason if status in (CertStatus.REVOKED, CertStatus.HOLD) else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at and status != CertStatus.GOOD else None,
        "not_before": row.not_before.isoformat(),
        "expires_on": row.expires_on.isoformat(),
    }


def status(w: Work, rp: RelyingParty, cert: x509.Certificate | int) -> dict[str, Any]:
    """The status of one certificate at ``w.at``; the RP is notified of its later changes."""
    row = _row(w, cert)
    _follow(w, rp, row.serial)
    audit_ok(w, rp, "rp.status", f"cert:{row.serial:x}")
    return {**_status(w, row), "checked_at": w.at.isoformat()}


def _successors(w: Work, row: Certificate) -> list[Certificate]:
    """The holder's later certificates of the same kind, oldest first."""
    same = w.session.scalars(
        select(Certificate).where(
            Certificate.resident_id == row.resident_id,
            Certificate.kind == row.kind,
            Certificate.not_before >= row.not_before,
        )
    ).all()
    later = [c for c in same if c.serial != row.serial and (c.not_before, c.serial) > (row.not_before, row.serial)]
    return sorted(later, key=lambda c: (c.not_before, c.serial))


def linkage(w: Work, rp: RelyingParty, cert: x509.Certificate) -> dict[str, Any]:
    """The other certificate on the same card, and the chain of successors to the latest."""
    row = _row(w, cert)
    chain = _successors(w, row)
    other_kind = "auth" if row.kind == "sign" else "sign"
    counterpart = repo.latest_certificate(w.session, row.card_id, other_kind)
    latest = chain[-1] if chain else row
    for c in (row, *chain):
        _follow(w, rp, c.serial)
    audit_ok(w, rp, "rp.linkage", f"cert:{row.serial:x}", successors=len(chain))
    return {
        "certificate": _status(w, row),
        "same_card": _status(w, counterpart) if counterpart is not None else None,
        "successors": [_status(w, c) for c in chain],
        "latest": _status(w, latest),
        "checked_at": w.at.isoformat(),
    }


# -- consent and the latest attributes ------------------------------------------------------


def give_consent(
    w: Work, rp: RelyingParty, cert: x509.Certificate | int, *, evidence: int | None = None
) -> HolderConsent:
    """Record the holder's consent (the holder of ``cert``) to release attributes to ``rp``."""
    row = _row(w, cert)
    _insert_ignore(w, HolderConsent, relying_party_id=rp.id, resident_id=row.resident_id, given_at=w.at)
    consent = w.session.scalars(
        select(HolderConsent).where(
            HolderConsent.relying_party_id == rp.id, HolderConsent.resident_id == row.resident_id
        )
    ).one()
    consent.given_at, consent.withdrawn_at, consent.evidence_serial = w.at, None, evidence
    w.log("holder_consent_given", resident_id=row.resident_id, client_id=rp.client_id)
    return consent


def withdraw_consent(w: Work, rp: RelyingParty, cert: x509.Certificate | int) -> None:
    row = _row(w, cert)
    consent = w.session.scalars(
        select(HolderConsent).where(
            HolderConsent.relying_party_id == rp.id, HolderConsent.resident_id == row.resident_id
        )
    ).first()
    if consent is not None and consent.withdrawn_at is None:
        consent.withdrawn_at = w.at
        w.log("holder_consent_withdrawn", resident_id=row.resident_id, client_id=rp.client_id)


def has_consent(w: Work, rp: RelyingParty, resident_id: int) -> bool:
    consent = w.session.scalars(
        select(HolderConsent).where(HolderConsent.relying_party_id == rp.id, HolderConsent.resident_id == resident_id)
    ).first()
    return consent is not None and consent.withdrawn_at is None and consent.given_at <= w.at


def attributes(w: Work, rp: RelyingParty, cert: x509.Certificate) -> dict[str, Any]:
    """The holder's latest basic four attributes; ``Refused`` without the holder's consent."""
    row = _row(w, cert)
    if not has_consent(w, rp, row.resident_id):
        raise Refused(
            "The holder has not consented to give this relying party their latest attributes.",
            "利用者の同意がないため、最新の基本4情報は提供できません。",
        )
    r = repo.resident(w.session, row.resident_id)
    assert r is not None
    _follow(w, rp, row.serial)
    audit_ok(w, rp, "rp.attributes", f"cert:{row.serial:x}")
    return {
        "name": r.name,
        "birth_date": r.birth_date.isoformat(),
        "sex": r.sex,
        "address": r.address,
        "as_of": w.at.isoformat(),
    }


# -- notifications --------------------------------------------------------------------------


def notifications(w: Work, rp: RelyingParty, *, after: int, limit: int = 100) -> list[dict[str, Any]]:
    """Status changes of the certificates ``rp`` follows, after event ``after``."""
    followed = select(FollowedCertificate.serial).where(FollowedCertificate.relying_party_id == rp.id)
    rows = w.session.scalars(
        select(Event)
        .where(Event.id > after, Event.action.in_(WATCHED_ACTIONS), Event.certificate_serial.in_(followed))
        .order_by(Event.id)
        .limit(max(1, min(limit, 1000)))
    ).all()
    out = []
    for ev in rows:
        assert ev.certificate_serial is not None
        row = repo.certificate(w.session, ev.certificate_serial)
        out.append(
            {
                "id": ev.id,
                "event": ev.action.removeprefix("certificate_"),
                "at": ev.at.isoformat(),
                "serial": format(ev.certificate_serial, "x"),
                "kind": ev.details.get("kind"),
                "reason": ev.details.get("reason") or (row.reason if row is not None else None),
            }
        )
    return out


Post = Callable[[str, bytes, dict[str, str]], int]


def _http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)
    except OSError:
        return 0


def signature_header(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(office: Office, *, at: datetime, post: Post = _http_post) -> dict[str, int]:
    """Push pending notifications to each RP's webhook; ``{client_id: notifications sent}``.
    An RP whose webhook does not answer 2xx keeps them pending for the next run."""
    sent: dict[str, int] = {}
    with office.work(at=at, actor="rp-notifier") as w:
        hooks = [(rp.id, rp.client_id) for rp in parties(w) if rp.active and rp.webhook_url]
    for rp_id, client_id in hooks:
        with office.work(at=at, actor="rp-notifier") as w:
            rp = w.session.get(RelyingParty, rp_id)
            assert rp is not None and rp.webhook_url and rp.sealed_webhook_secret
            items = notifications(w, rp, after=rp.notified_event_id, limit=100)
            if not items:
                rp.notified_event_id = max(rp.notified_event_id, _last_event_id(w))
                continue
            body = json.dumps({"client_id": rp.client_id, "notifications": items}, ensure_ascii=False).encode()
            secret = unseal(rp.sealed_webhook_secret, w.office.master_key, context=_WEBHOOK_CONTEXT).decode()
            code = post(
                rp.webhook_url,
                body,
                {"Content-Type": "application/json", "X-Mynacard-Signature": signature_header(secret, body)},
            )
            ok = 200 <= code < 300
            if ok:
                rp.notified_event_id = items[-1]["id"]
                sent[client_id] = len(items)
            audit_ok(
                w,
                rp,
                "rp.notify",
                rp.webhook_url[:100],
                outcome="ok" if ok else "error",
                notifications=len(items),
                http_status=code,
            )
    return sent

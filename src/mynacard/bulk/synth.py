"""Synthetic residents, cards and certificates for loading a store at national scale.

``make_chunk`` turns a range of resident IDs into the rows of every table it touches, as plain
column dictionaries (the model's Python values: aware datetimes, integer serials, JSON as
dicts), ready for ``mynacard.bulk.load`` to write with COPY or batched inserts. It is
deterministic in the resident IDs (one ``random.Random`` per chunk), except for what must be
unpredictable: certificate serials, AES-GCM nonces.

Every certificate is really issued and signed by the sandbox CA (``CertificateAuthority.issue``);
the chip key pairs they certify come from a pool generated once per load (``KeyPool``), since a
fresh RSA-2048 key per chip would cost ~100 ms each. Synthetic cards carry no chip image
(``cards.chip_state`` is NULL, no ``chip_pins``): they are for the scale of the store (the
batch, CRLs, OCSP), not for chip workflows.

Shares (per resident, drawn independently): see ``Shares``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from stdnum.jp import in_

from mynacard.ca import CertificateAuthority, CertKind, CertRequest, SigningSubject
from mynacard.crypto import StoreKeys
from mynacard.rules.events import LifeEvent, RevocationReason, certificate_effects
from mynacard.rules.validity import card_expiry, certificate_expiry
from mynacard.timeutil import JST

ACTOR = "bulk-load"
#: Individual numbers: a bijection of the resident ID onto 11-digit bodies (10^10 .. 10^11 - 1),
#: so that numbers are unique as IDs are; the 12th digit is stdnum's check digit (R_NUM_1).
_NUM_SPAN = 9 * 10**10
_NUM_MULT = 48_271_523_017  # prime to 2, 3 and 5, hence to _NUM_SPAN
_NUM_ADD = 31_415_926_535
#: Card IDs: 12 hex digits, a bijection of the card sequence number onto 48 bits.
_CARD_MULT = 0x5DEECE66D
_CARD_ADD = 0xB16B00B5
#: Application IDs: municipality + date + 9 digits, a bijection of the card sequence onto 10^9.
_APP_MULT = 387_420_489  # 3^18: prime to 10

SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田",
            "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水"]
SURNAMES_KANA = ["サトウ", "スズキ", "タカハシ", "タナカ", "イトウ", "ワタナベ", "ヤマモト", "ナカムラ", "コバヤシ",
                 "カトウ", "ヨシダ", "ヤマダ", "ササキ", "ヤマグチ", "マツモト", "イノウエ", "キムラ", "ハヤシ",
                 "サイトウ", "シミズ"]
GIVEN = [("太郎", "タロウ", "1"), ("花子", "ハナコ", "2"), ("翔太", "ショウタ", "1"), ("陽菜", "ヒナ", "2"),
         ("大輔", "ダイスケ", "1"), ("美咲", "ミサキ", "2"), ("健一", "ケンイチ", "1"), ("さくら", "サクラ", "2"),
         ("蓮", "レン", "1"), ("結衣", "ユイ", "2"), ("一郎", "イチロウ", "1"), ("恵子", "ケイコ", "2")]
STATUSES = ["engineer_specialist_in_humanities", "student", "technical_intern_training", "spouse_of_japanese"]
PREFECTURES = ["北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
               "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
               "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
               "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
               "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県"]


@dataclass(frozen=True)
class Shares:
    """How often each life event has happened to a synthetic resident (fractions of residents).

    Rough orders of magnitude of the real system: ~1 in 8 residents under 15 (no signing
    certificate, R_CERT_4), ~2 % foreign residents (cards bound to the period of stay, R_CARD_9),
    some 5-6 % moving municipality a year, some 10 % holding a card that replaced an earlier one."""

    renewed: float = 0.08  # an earlier card replaced by renewal (certificates revoked, superseded)
    lost_reissued: float = 0.02  # an earlier card lost and replaced (certificates revoked, key compromise)
    suspended: float = 0.01  # the current card reported lost: suspended, both certificates on hold
    moved: float = 0.06  # moved municipality: note on the card, signing certificate revoked (R_CERT_5)
    moving: float = 0.004  # moved in and not yet presented the card (R_CARD_8); a tenth of them overdue
    revoked: float = 0.015  # signing certificate revoked at the holder's request
    foreign: float = 0.023
    adult_ward: float = 0.002
    due_today: float = 0.0005  # current card already past its expiry: the next batch ends it


def municipality_code(prefecture: int, serial: int) -> str:
    """地方公共団体コード: prefecture, 3 digits, and the check digit (weights 6..2, mod 11).

    Synthetic municipalities use 900-999 for the 3 digits, a range no real one uses."""
    body = f"{prefecture:02d}{serial:03d}"
    total = sum(int(d) * w for d, w in zip(body, (6, 5, 4, 3, 2), strict=True))
    check = (11 - total % 11) % 10
    return body + str(check)


def synthetic_municipalities(count: int) -> list[dict[str, Any]]:
    """``count`` synthetic municipalities spread over the 47 prefectures."""
    out = []
    for i in range(count):
        pref = i % 47 + 1
        serial = 900 + i // 47
        if serial > 999:
            raise ValueError("At most 4,747 synthetic municipalities.")
        out.append({"code": municipality_code(pref, serial), "name": f"合成第{i + 1}市",
                    "prefecture": PREFECTURES[pref - 1]})
    return out


def municipality_weights(count: int) -> list[float]:
    """Zipf-like populations: a few large cities, many small towns (as the real 1,741)."""
    return [1.0 / (i + 1) ** 0.9 for i in range(count)]


def individual_number(resident_id: int) -> str:
    body = str(10**10 + (resident_id * _NUM_MULT + _NUM_ADD) % _NUM_SPAN)
    return body + in_.calc_check_digit(body)


def card_id(card_seq: int) -> str:
    return format((card_seq * _CARD_MULT + _CARD_ADD) % 2**48, "012X")


def application_id(code: str, on: date, card_seq: int) -> str:
    return f"{code}{on:%Y%m%d}{(card_seq * _APP_MULT) % 10**9:09d}"


class KeyPool:
    """The chip public keys certified by synthetic certificates: ``size`` RSA-2048 keys made once."""

    def __init__(self, publics: list[rsa.RSAPublicKey]) -> None:
        self.publics = publics

    @classmethod
    def generate(cls, size: int) -> KeyPool:
        from mynacard.crypto import new_rsa_key

        return cls([new_rsa_key().public_key() for _ in range(size)])

    def der(self) -> list[bytes]:
        from cryptography.hazmat.primitives.serialization import PublicFormat

        return [k.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) for k in self.publics]

    @classmethod
    def from_der(cls, ders: list[bytes]) -> KeyPool:
        from cryptography.hazmat.primitives.serialization import load_der_public_key

        keys = [load_der_public_key(d) for d in ders]
        assert all(isinstance(k, rsa.RSAPublicKey) for k in keys)
        return cls(keys)  # type: ignore[arg-type]


@dataclass
class Chunk:
    """The rows of one chunk of residents, per table."""

    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {t: [] for t in ("residents", "applications", "cards", "certificates", "moves",
                                                 "events")})

    def count(self, table: str) -> int:
        return len(self.rows[table])


@dataclass
class Context:
    """What every chunk needs: the CAs, the key pool, the store's keys, where and when."""

    cas: dict[CertKind, CertificateAuthority]
    pool: KeyPool
    keys: StoreKeys
    municipalities: list[dict[str, Any]]
    weights: list[float]
    at: datetime
    shares: Shares = Shares()


def _jst_noon(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 10, 0, tzinfo=JST).astimezone(UTC)


class _Builder:
    def __init__(self, ctx: Context, chunk: Chunk, rng: random.Random) -> None:
        self.ctx, self.chunk, self.rng = ctx, chunk, rng
        self.today = ctx.at.astimezone(JST).date()
        self.cum = list(accumulate(ctx.weights))

    def event(self, at: datetime, action: str, rid: int, cid: str | None, serial: int | None = None,
              **details: Any) -> None:
        self.chunk.rows["events"].append({"at": at, "actor": ACTOR, "action": action, "resident_id": rid,
                                          "card_id": cid, "certificate_serial": serial, "details": details})

    def certificate(self, r: dict[str, Any], cid: str, kind: CertKind, on: date, expires: date,
                    subject: SigningSubject | None) -> dict[str, Any] | None:
        ca = self.ctx.cas[kind]
        first = ca.certificate.not_valid_before_utc.astimezone(JST).date() + timedelta(days=1)
        on = max(on, first)  # a store whose CAs are younger than the synthetic history
        expires = min(expires, ca.certificate.not_valid_after_utc.astimezone(JST).date() - timedelta(days=1))
        if expires <= on:  # the CA did not exist then: no certificate
            return None
        at = _jst_noon(on)
        req = CertRequest(public_key=self.rng.choice(self.ctx.pool.publics), not_before=at, expires_on=expires,
                          municipality_code=r["municipality_code"], subject=subject)
        cert = ca.issue(req, at=at)
        row = {"serial": cert.serial_number, "kind": kind.value, "card_id": cid, "resident_id": r["id"],
               "municipality_code": r["municipality_code"], "status": "good", "not_before": at,
               "expires_on": expires, "revoked_at": None, "reason": None, "der": cert.public_bytes(Encoding.DER)}
        self.chunk.rows["certificates"].append(row)
        self.event(at, "certificate_issued", r["id"], cid, row["serial"], kind=kind.value,
                   expires_on=expires.isoformat())
        return row

    def end_cert(self, row: dict[str, Any], event: LifeEvent, at: datetime) -> None:
        effect = certificate_effects(event).get(CertKind(row["kind"]))
        if effect is None or row["status"] != "good":
            return
        reason = effect.reason or RevocationReason.UNSPECIFIED
        held = reason is RevocationReason.CERTIFICATE_HOLD
        row.update(status="hold" if held else "revoked", revoked_at=at, reason=reason.value)
        self.event(at, "certificate_held" if held else "certificate_revoked", row["resident_id"], row["card_id"],
                   row["serial"], kind=row["kind"], **({} if held else {"reason": reason.value}))

    def card(self, r: dict[str, Any], seq: int, received: date, *, kind: str, signing: bool,
             renewing: dict[str, Any] | None = None, replaces: str | None = None,
             ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """An application, its card made a week later and handed over a week after that."""
        code = r["municipality_code"]
        cid = card_id(seq)
        made, issued = received + timedelta(days=7), received + timedelta(days=14)
        renew_exp = renewing["expires_on"] if renewing is not None else None
        term = card_expiry(r["birth_date"], made, received, renewing_card_expires_on=renew_exp,
                           period_of_stay_end=r["period_of_stay_end"])
        limit = card_expiry(r["birth_date"], made, received, renewing_card_expires_on=renew_exp).expires_on
        app = application_id(code, received, seq)
        self.chunk.rows["applications"].append({
            "id": app, "resident_id": r["id"], "kind": kind,
            "reason": {"renewal": "renewal", "reissue": "loss"}.get(kind, "first_issue"),
            "channel": self.rng.choice(("mail", "online", "booth", "window")), "received_on": received,
            "express": False, "documents": {}, "replaces_card_id": replaces,
            "status": "issued", "fee_total": 0})
        code4 = f"{self.rng.randrange(10_000):04d}"
        c = {"id": cid, "resident_id": r["id"], "application_id": app, "state": "issued", "made_on": made,
             "issued_on": issued, "expires_on": term.expires_on, "limit_on": limit, "notes": [],
             "security_code_sealed": self.ctx.keys.security_codes.seal(cid, code4), "suspended_at": None,
             "ended_at": None, "end_reason": None, "continued_use_by": None, "chip_state": None}
        self.chunk.rows["cards"].append(c)
        self.event(_jst_noon(received), "card_applied", r["id"], cid, application_id=app, kind=kind,
                   channel=self.chunk.rows["applications"][-1]["channel"])
        self.event(_jst_noon(made), "card_made", r["id"], cid, expires_on=term.expires_on.isoformat())
        certs = self.certificates(r, c, issued, signing, renewing_from=renewing)
        self.event(_jst_noon(issued), "card_issued", r["id"], cid, signing=signing)
        return c, certs

    def certificates(self, r: dict[str, Any], c: dict[str, Any], on: date, signing: bool,
                     renewing_from: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Both certificates of a hand-over; renewed once if their 5 years ran out (R_CERT_3)."""
        card_exp = c["expires_on"]
        auth_exp = certificate_expiry(r["birth_date"], on, card_exp)
        renewing = None
        while auth_exp < self.today <= card_exp:  # renewed at the window before expiry
            on = auth_exp - timedelta(days=self.rng.randrange(1, 80))
            renewing = auth_exp
            auth_exp = certificate_expiry(r["birth_date"], on, card_exp, renewing_expires_on=auth_exp)
        certs = [self.certificate(r, c["id"], CertKind.AUTH, on, auth_exp, None)]
        if signing:
            sign_exp = certificate_expiry(r["birth_date"], on, card_exp, auth_expires_on=auth_exp,
                                          renewing_expires_on=renewing)
            certs.append(self.certificate(r, c["id"], CertKind.SIGN, on, sign_exp, self.subject(r)))
        return [c for c in certs if c is not None]

    def subject(self, r: dict[str, Any]) -> SigningSubject:
        return SigningSubject(name=r["name"], address=r["address"], birth_date=r["birth_date"], sex=r["sex"])

    def resident(self, rid: int) -> None:
        rng, sh, today = self.rng, self.ctx.shares, self.today
        m = rng.choices(self.ctx.municipalities, cum_weights=self.cum)[0]
        sur = rng.randrange(len(SURNAMES))
        given, given_kana, sex = rng.choice(GIVEN)
        age = rng.choices((rng.uniform(0.2, 15), rng.uniform(15, 65), rng.uniform(65, 100)), (12, 59, 29))[0]
        birth = today - timedelta(days=int(age * 365.25))
        foreign = rng.random() < sh.foreign and age >= 18
        number = individual_number(rid)
        r = {"id": rid, "number_sealed": self.ctx.keys.numbers.seal(number),
             "number_hash": self.ctx.keys.numbers.lookup(number),
             "name": f"{SURNAMES[sur]} {given}", "name_kana": f"{SURNAMES_KANA[sur]} {given_kana}",
             "address": f"{m['prefecture']}{m['name']}本町{rng.randrange(1, 9)}丁目{rng.randrange(1, 40)}番"
                        f"{rng.randrange(1, 30)}号",
             "birth_date": birth, "sex": sex, "municipality_code": m["code"],
             "nationality": rng.choice(("CN", "VN", "KR", "PH", "BR")) if foreign else "JP",
             "residence_status": rng.choice(STATUSES) if foreign else None,
             "period_of_stay_end": today + timedelta(days=rng.randrange(60, 1800)) if foreign else None,
             "adult_ward": age >= 18 and rng.random() < sh.adult_ward, "dv_protected": False,
             "moving_out_filed": False, "created_at": _jst_noon(birth if age < 10 else today - timedelta(days=3650))}
        self.chunk.rows["residents"].append(r)
        self.life(r, age)

    def life(self, r: dict[str, Any], age: float) -> None:
        rng, sh, today, rid = self.rng, self.ctx.shares, self.today, r["id"]
        signing = age >= 15 and not r["adult_ward"]
        # A card runs to the 10th birthday after issue (the 5th for those under 18, R_CARD_2):
        # received inside that span, so that the current card is still in effect today.
        years_ago = rng.uniform(0, 3.95)
        if age - years_ago - 1 >= 20:  # adults (20 and over before April 2022) hold 10-year cards
            years_ago = rng.uniform(years_ago, min(8.95, age - 21))
        received = max(r["birth_date"] + timedelta(days=30), today - timedelta(days=int(years_ago * 365.25)))
        if received + timedelta(days=14) >= today:
            received = today - timedelta(days=15)
        seq = rid * 4
        roll = rng.random()
        earlier, kind = None, "new"
        if roll < sh.renewed + sh.lost_reissued and age > 6:  # an earlier card, replaced
            lost = roll >= sh.renewed
            if not lost:  # 10-year cards have been renewed since 2025: the renewal is recent
                received = today - timedelta(days=rng.randrange(15, 540))
            first = received - timedelta(days=rng.randrange(200, 1500) if lost else 3650 - rng.randrange(90))
            oldest = today - timedelta(days=round(365.25 * 11.5))  # inside the CAs' life (see load)
            if lost:
                first = max(first, oldest)
            if first > r["birth_date"] + timedelta(days=30) and first >= oldest and first < received - timedelta(30):
                old, old_certs = self.card(r, seq, first, kind="new", signing=signing and age - 10 >= 15)
                ended = _jst_noon(received + timedelta(days=14))
                if lost:
                    at_loss = _jst_noon(received - timedelta(days=1))
                    self.event(at_loss, "card_suspended", rid, old["id"], reason="lost")
                    for row in old_certs:
                        self.end_cert(row, LifeEvent.HOLD_THEN_REVOKE, at_loss)
                for row in old_certs:
                    self.end_cert(row, LifeEvent.CARD_REPLACED, ended)
                old.update(state="reissued", ended_at=ended, end_reason="replaced by " +
                           ("reissue" if lost else "renewal"))
                self.event(ended, "card_reissued", rid, old["id"], reason=old["end_reason"])
                earlier = old
                kind = "reissue" if lost else "renewal"
                seq += 1
        c, certs = self.card(r, seq, received, kind=kind, signing=signing,
                             renewing=earlier if kind == "renewal" else None,
                             replaces=earlier["id"] if earlier else None)
        if rng.random() < sh.due_today:  # expired yesterday, not yet seen by the batch
            c["expires_on"] = today - timedelta(days=1)
        roll = rng.random()
        issued = c["issued_on"]
        if roll < sh.suspended:
            at = _jst_noon(today - timedelta(days=rng.randrange(1, 60)))
            c.update(state="suspended", suspended_at=at)
            self.event(at, "card_suspended", rid, c["id"], reason="lost")
            for row in certs:
                self.end_cert(row, LifeEvent.HOTLINE_SUSPENSION, at)
        elif roll < sh.suspended + sh.moved and (today - issued).days > 30:
            on = issued + timedelta(days=rng.randrange(15, (today - issued).days))
            self.move(r, c, certs, on, signing)
        elif roll < sh.suspended + sh.moved + sh.moving and (today - issued).days > 120:
            overdue = rng.random() < 0.1
            moved_in = today - timedelta(days=rng.randrange(91, 100) if overdue else rng.randrange(1, 80))
            self.chunk.rows["moves"].append({
                "resident_id": rid, "card_id": c["id"], "from_code": r["municipality_code"],
                "to_code": r["municipality_code"], "planned_move_out_on": moved_in - timedelta(days=7),
                "moved_in_on": moved_in, "notice_on": moved_in, "new_address": r["address"],
                "present_by": moved_in + timedelta(days=90), "status": "moved_in"})
            self.event(_jst_noon(moved_in), "moved_in", rid, c["id"])
        elif roll < sh.suspended + sh.moved + sh.moving + sh.revoked and len(certs) > 1:
            at = _jst_noon(issued + timedelta(days=rng.randrange(1, max(2, (today - issued).days))))
            certs[1].update(status="revoked", revoked_at=at, reason=RevocationReason.UNSPECIFIED.value)
            self.event(at, "certificate_revoked", rid, c["id"], certs[1]["serial"], kind="sign",
                       reason="unspecified")

    def move(self, r: dict[str, Any], c: dict[str, Any], certs: list[dict[str, Any]], on: date,
             signing: bool) -> None:
        """A move within the municipality, presented in time: a note, the signing certificate
        revoked (R_CERT_5) and, for most, a new one issued."""
        at = _jst_noon(on)
        c["notes"] = [{"on": on.isoformat(), "text": f"住所変更 {r['address']}"}]
        self.chunk.rows["moves"].append({
            "resident_id": r["id"], "card_id": c["id"], "from_code": r["municipality_code"],
            "to_code": r["municipality_code"], "planned_move_out_on": on - timedelta(days=7), "moved_in_on": on,
            "notice_on": on, "new_address": r["address"], "present_by": on + timedelta(days=90), "status": "done"})
        self.event(at, "card_face_updated", r["id"], c["id"], note=True)
        for row in certs:
            self.end_cert(row, LifeEvent.ATTRIBUTE_CHANGE, at)
        if signing and self.rng.random() < 0.6:
            auth_exp = certs[0]["expires_on"]
            # issued at the move, or at the renewal of the authentication certificate after it
            on = max(on, certs[0]["not_before"].astimezone(JST).date())
            if on < auth_exp:
                exp = certificate_expiry(r["birth_date"], on, c["expires_on"], auth_expires_on=auth_exp)
                self.certificate(r, c["id"], CertKind.SIGN, on, exp, self.subject(r))


def make_chunk(ctx: Context, first_id: int, count: int) -> Chunk:
    """The rows of residents ``first_id`` .. ``first_id + count - 1`` and all that is theirs."""
    chunk = Chunk()
    b = _Builder(ctx, chunk, random.Random(first_id))
    for rid in range(first_id, first_id + count):
        b.resident(rid)
    return chunk

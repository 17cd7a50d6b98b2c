"""What the holder's portal shows after a login (R_NUM_3, R_CARD_6, R_CERT_3): the cards that were
handed over, newest first, their certificates, the renewal dates of what is still valid, and who
read the number and why, newest first."""

from __future__ import annotations

from datetime import date

from mynacard.db import repositories as repo
from mynacard.services import cards, certificates, lifecycle, portal, residents
from tests.services.conftest import PINS, at, issued_card, new_resident


def _certs(view: dict) -> list[tuple]:
    return sorted(
        (c["kind"], c["kind_ja"], c["status"], c["status_ja"], c["expires_on"], c["renewal_from"])
        for c in view["certificates"]
    )


def test_the_portal_shows_handed_over_cards_newest_first_and_number_reads_R_NUM_3(office):
    rid = new_resident(office)
    old = issued_card(office, rid)  # handed over 2025-05-10: card to 2034-06-15, certificates to 2029-06-15
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        lifecycle.return_card(w, old)
    with office.work(at=at("2026-01-05"), actor="clerk") as w:
        new = cards.apply(w, rid, kind="new", channel="window").card.id
    with office.work(at=at("2026-01-20"), actor="j-lis") as w:
        cards.make(w, new)
    with office.work(at=at("2026-01-21"), actor="portal") as w:  # made, not handed over: not shown yet
        assert [c["id"] for c in portal.overview(w, rid)["cards"]] == [old]
    with office.work(at=at("2026-02-10"), actor="clerk") as w:
        cards.issue(w, new, identity_documents=["drivers_license"], pins=PINS)
    with office.work(at=at("2026-02-20"), actor="clerk") as w:  # a new signing certificate, later
        certificates.revoke(w, new, "sign")
    with office.work(at=at("2026-02-21"), actor="clerk") as w:
        added = certificates.add(w, new, "sign", pin="NEW123").certificate.serial
    with office.work(at=at("2026-03-02"), actor="tax-clerk") as w:
        residents.read_number(w, rid, "tax")
    with office.work(at=at("2026-03-03"), actor="welfare-clerk") as w:
        residents.read_number(w, rid, "social_security")

    with office.work(at=at("2026-03-04"), actor="portal") as w:
        view = portal.overview(w, rid)
    assert view["name"] == "能登 太郎"
    assert [c["id"] for c in view["cards"]] == [new, old]
    shown, ended = view["cards"]
    assert {k: shown[k] for k in ("state", "state_ja", "issued_on", "expires_on", "renewal_from")} == {
        "state": "issued",
        "state_ja": "交付済み(有効)",
        "issued_on": date(2026, 2, 10),
        "expires_on": date(2035, 6, 15),  # the 10th birthday after the making (R_CARD_2)
        "renewal_from": date(2035, 3, 16),  # three months before (R_CARD_6)
    }
    assert _certs(shown) == [
        ("auth", "利用者証明用電子証明書", "good", "有効", date(2030, 6, 15), date(2030, 3, 16)),
        ("sign", "署名用電子証明書", "good", "有効", date(2030, 6, 15), date(2030, 3, 16)),
        ("sign", "署名用電子証明書", "revoked", "失効", date(2030, 6, 15), None),
    ]
    assert shown["certificates"][0]["serial"] == f"{added:X}"  # the newest certificate first
    assert {k: ended[k] for k in ("state", "state_ja", "renewal_from")} == {
        "state": "returned", "state_ja": "返納済み", "renewal_from": None,
    }
    assert _certs(ended) == [  # nothing to renew on a card that ended
        ("auth", "利用者証明用電子証明書", "revoked", "失効", date(2029, 6, 15), None),
        ("sign", "署名用電子証明書", "revoked", "失効", date(2029, 6, 15), None),
    ]
    with office.work(at=at("2026-03-04"), actor="reader") as w:
        serials = {c.serial for c in repo.certificates_of_card(w.session, new)}
        views = [e for e in repo.events(w.session, resident_id=rid) if e.action == "portal_viewed"]
    assert {int(c["serial"], 16) for c in shown["certificates"]} == serials
    assert all(c["serial"] == c["serial"].upper() for c in shown["certificates"])
    assert [(n["at"], n["actor"], n["purpose"], n["purpose_ja"]) for n in view["number_reads"]] == [
        (at("2026-03-03"), "welfare-clerk", "social_security", "社会保障"),
        (at("2026-03-02"), "tax-clerk", "tax", "税"),
    ]
    assert len(views) == 2  # each look at the portal is in the holder's event log

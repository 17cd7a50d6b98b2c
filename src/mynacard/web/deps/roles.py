"""Staff roles and what each may do. Clerks and supervisors are bound to one municipality."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLERK = "clerk"  # 窓口職員
    SUPERVISOR = "supervisor"  # 責任者
    HOTLINE = "hotline"  # コールセンター オペレーター
    AUDITOR = "auditor"  # 監査担当
    ADMIN = "admin"  # システム管理者


ROLE_JA = {
    Role.CLERK: "窓口職員",
    Role.SUPERVISOR: "責任者",
    Role.HOTLINE: "コールセンター",
    Role.AUDITOR: "監査担当",
    Role.ADMIN: "システム管理者",
}

#: Roles bound to a municipality: they see and change only its residents.
SCOPED = frozenset({Role.CLERK, Role.SUPERVISOR})

WINDOW = frozenset({Role.CLERK, Role.SUPERVISOR, Role.ADMIN})

#: action -> roles allowed. Every endpoint names its action; ``require`` checks it.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "resident.read": WINDOW,
    "resident.register": WINDOW,
    "resident.number_read": frozenset({Role.CLERK, Role.SUPERVISOR}),
    "card.read": WINDOW,
    "card.apply": WINDOW,
    "card.make": WINDOW,  # J-LIS's step, simulated from the window in the sandbox
    "card.issue": WINDOW,
    "card.face": WINDOW,  # moves, continued use, name change
    "card.loss": WINDOW,
    "card.found": WINDOW,
    "card.return": WINDOW,
    "card.revoke_held": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "card.admin_error": frozenset({Role.SUPERVISOR, Role.ADMIN}),  # the evidence of a free reissue
    "number.change": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "cert.manage": WINDOW,
    "pin.reset": WINDOW,
    "pin.read": WINDOW,
    "hotline.suspend": frozenset({Role.HOTLINE, Role.ADMIN}),
    "batch.run": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "notice.print": WINDOW,  # the print queue of expiry notices: see it, mark what was printed
    "document.read": WINDOW,
    "audit.read": frozenset({Role.AUDITOR, Role.ADMIN}),
    "admin.accounts": frozenset({Role.ADMIN}),
    "admin.clock": frozenset({Role.ADMIN}),
    "admin.municipality": frozenset({Role.ADMIN}),
    "admin.relying_parties": frozenset({Role.ADMIN}),
}


class Scope(StrEnum):
    """The municipality rule of an endpoint, for roles bound to a municipality (``SCOPED``)."""

    NATIONWIDE = "nationwide"  # no municipality rule (hotline, administration, audit, public)
    RESIDENT = "resident"  # the resident's municipality; any other looks unknown (404)
    CARD = "card"  # the municipality of the card's resident; any other looks unknown (404)
    DOCUMENT = "document"  # the municipality of the document's resident (404 otherwise)
    MOVING_IN = "moving_in"  # the municipality the resident moves into (404 otherwise)
    NAMED = "named"  # the municipality named in the request (403 otherwise)
    OWN = "own"  # lists and batches cover the staff member's own municipality only


#: Who may reach an endpoint without a permission of ``PERMISSIONS``.
PUBLIC = "public"  # no login (login, OCSP, CRLs, CA certificates)
STAFF = "staff"  # any logged-in staff member (their own session, their home page)
#: Not for staff at all: relying parties and holders authenticate with their own credentials
#: (OAuth tokens and client authentication, a registered verifier's secret, the card's
#: signature); a staff session grants nothing there.
OWN = "own credentials"

#: Every endpoint of the service: its permission (a key of ``PERMISSIONS``, or PUBLIC / STAFF)
#: and its municipality rule. ``tests/harden/test_access_table.py`` checks that the service has
#: exactly these endpoints and that every row holds for every role.
ENDPOINTS: dict[str, tuple[str, Scope]] = {
    # session
    "POST /api/login": (PUBLIC, Scope.NATIONWIDE),
    "POST /api/logout": (STAFF, Scope.NATIONWIDE),
    "GET /api/me": (STAFF, Scope.NATIONWIDE),
    # residents
    "POST /api/residents": ("resident.register", Scope.NAMED),
    "GET /api/residents": ("resident.read", Scope.OWN),
    "GET /api/residents/{resident_id}": ("resident.read", Scope.RESIDENT),
    "POST /api/residents/{resident_id}/number": ("resident.number_read", Scope.RESIDENT),
    "GET /api/residents/{resident_id}/number-reads": ("resident.read", Scope.RESIDENT),
    "POST /api/residents/{resident_id}/move-within": ("card.face", Scope.RESIDENT),
    "POST /api/residents/{resident_id}/rename": ("card.face", Scope.RESIDENT),
    "POST /api/residents/{resident_id}/move-out": ("card.face", Scope.RESIDENT),
    "POST /api/residents/{resident_id}/move-in": ("card.face", Scope.MOVING_IN),
    "POST /api/residents/{resident_id}/number-change": ("number.change", Scope.RESIDENT),
    "POST /api/residents/{resident_id}/stay-extension": ("card.face", Scope.RESIDENT),
    "POST /api/residents/{resident_id}/applications": ("card.apply", Scope.RESIDENT),
    "GET /api/events": ("resident.read", Scope.RESIDENT),
    "GET /api/renewals": ("resident.read", Scope.OWN),
    # cards
    "POST /api/cards/{card_id}/cancel": ("card.apply", Scope.CARD),
    "GET /api/cards/{card_id}": ("card.read", Scope.CARD),
    "POST /api/cards/{card_id}/make": ("card.make", Scope.CARD),
    "POST /api/cards/{card_id}/issue": ("card.issue", Scope.CARD),
    "POST /api/cards/{card_id}/continued-use": ("card.face", Scope.CARD),
    "POST /api/cards/{card_id}/loss-report": ("card.loss", Scope.CARD),
    "POST /api/cards/{card_id}/found": ("card.found", Scope.CARD),
    "POST /api/cards/{card_id}/revoke-held": ("card.revoke_held", Scope.CARD),
    "POST /api/cards/{card_id}/return": ("card.return", Scope.CARD),
    "GET /api/cards/{card_id}/pins": ("pin.read", Scope.CARD),
    "POST /api/cards/{card_id}/pins/{pin}/reset": ("pin.reset", Scope.CARD),
    "POST /api/cards/{card_id}/certificates/{kind}": ("cert.manage", Scope.CARD),
    "POST /api/cards/{card_id}/certificates/{kind}/renew": ("cert.manage", Scope.CARD),
    "POST /api/cards/{card_id}/certificates/{kind}/revoke": ("cert.manage", Scope.CARD),
    "POST /api/cards/{card_id}/certificates/{kind}/release": ("cert.manage", Scope.CARD),
    # hotline, administration, audit
    "POST /api/hotline/suspend": ("hotline.suspend", Scope.NATIONWIDE),
    "GET /api/admin/accounts": ("admin.accounts", Scope.NATIONWIDE),
    "POST /api/admin/accounts": ("admin.accounts", Scope.NATIONWIDE),
    "GET /api/admin/clock": ("admin.clock", Scope.NATIONWIDE),
    "POST /api/admin/clock": ("admin.clock", Scope.NATIONWIDE),
    "POST /api/municipalities": ("admin.municipality", Scope.NATIONWIDE),
    "GET /api/admin/relying-parties": ("admin.relying_parties", Scope.NATIONWIDE),
    "POST /api/admin/relying-parties": ("admin.relying_parties", Scope.NATIONWIDE),
    # the evidence of a free reissue (R_LOSS_4)
    "POST /api/residents/{resident_id}/admin-errors": ("card.admin_error", Scope.RESIDENT),
    "POST /api/residents/{resident_id}/moved-in-from-abroad": ("card.face", Scope.RESIDENT),
    "POST /residents/{rid}/admin_error": ("card.admin_error", Scope.RESIDENT),
    "POST /residents/{rid}/moved_in_from_abroad": ("card.face", Scope.RESIDENT),
    # registered verifiers (署名検証者) and the timestamp authority
    "POST /api/rp/verify": (OWN, Scope.NATIONWIDE),
    "POST /api/rp/status": (OWN, Scope.NATIONWIDE),
    "POST /api/rp/linkage": (OWN, Scope.NATIONWIDE),
    "POST /api/rp/attributes": (OWN, Scope.NATIONWIDE),
    "POST /api/rp/consents": (OWN, Scope.NATIONWIDE),
    "GET /api/rp/notifications": (OWN, Scope.NATIONWIDE),
    "PUT /api/rp/webhook": (OWN, Scope.NATIONWIDE),
    "POST /tsa": (PUBLIC, Scope.NATIONWIDE),
    "GET /tsa/{name}": (PUBLIC, Scope.NATIONWIDE),
    # the login provider (the authentication-app API) and the holder's approval
    "GET /api/realms/main/.well-known/openid-configuration": (PUBLIC, Scope.NATIONWIDE),
    "GET /api/realms/main/protocol/openid-connect/certs": (PUBLIC, Scope.NATIONWIDE),
    "GET /api/realms/main/protocol/openid-connect/auth": (OWN, Scope.NATIONWIDE),
    "POST /api/realms/main/protocol/openid-connect/token": (OWN, Scope.NATIONWIDE),
    "GET /api/realms/main/protocol/openid-connect/userinfo": (OWN, Scope.NATIONWIDE),
    "GET /api/realms/main/approve/{request_id}": (OWN, Scope.NATIONWIDE),
    "POST /api/realms/main/approve/{request_id}": (OWN, Scope.NATIONWIDE),
    "POST /api/sign-transactions": (OWN, Scope.NATIONWIDE),
    "GET /api/sign-transactions/{tx_id}": (OWN, Scope.NATIONWIDE),
    "POST /api/batch/daily": ("batch.run", Scope.OWN),
    "GET /api/audit": ("audit.read", Scope.NATIONWIDE),
    # documents
    "GET /documents/receipts/{number}.pdf": ("document.read", Scope.DOCUMENT),
    "GET /documents/issue/{card_id}.pdf": ("document.read", Scope.DOCUMENT),
    "GET /documents/pin-reset/{event_id}.pdf": ("document.read", Scope.DOCUMENT),
    "GET /documents/notices/{notice_id}.pdf": ("document.read", Scope.DOCUMENT),
    "GET /documents/loss-report/{event_id}.pdf": ("document.read", Scope.DOCUMENT),
    "GET /documents/receipts/{number}/reprint.pdf": ("document.read", Scope.DOCUMENT),
    "GET /documents/issue/{card_id}/reprint.pdf": ("document.read", Scope.DOCUMENT),
    "GET /documents/pin-reset/{event_id}/reprint.pdf": ("document.read", Scope.DOCUMENT),
    "GET /documents/loss-report/{event_id}/reprint.pdf": ("document.read", Scope.DOCUMENT),
    "GET /documents/notices/{notice_id}/reprint.pdf": ("document.read", Scope.DOCUMENT),
    "GET /api/residents/{resident_id}/documents": ("document.read", Scope.RESIDENT),
    # revocation services
    "GET /ocsp/{kind}/{request}": (PUBLIC, Scope.NATIONWIDE),
    "POST /ocsp/{kind}": (PUBLIC, Scope.NATIONWIDE),
    "GET /crl/{name}": (PUBLIC, Scope.NATIONWIDE),
    "GET /crl/{kind}/{name}": (PUBLIC, Scope.NATIONWIDE),
    "GET /ca/{name}": (PUBLIC, Scope.NATIONWIDE),
    # the window UI
    "GET /login": (PUBLIC, Scope.NATIONWIDE),
    "POST /login": (PUBLIC, Scope.NATIONWIDE),
    "POST /logout": (STAFF, Scope.NATIONWIDE),
    "GET /": (STAFF, Scope.OWN),  # each role's home; the search covers its own municipality
    "GET /residents/{rid}": ("resident.read", Scope.RESIDENT),
    "POST /residents/{rid}/apply": ("card.apply", Scope.RESIDENT),
    "POST /residents/{rid}/cancel": ("card.apply", Scope.RESIDENT),
    "POST /residents/{rid}/make": ("card.make", Scope.RESIDENT),
    "POST /residents/{rid}/issue": ("card.issue", Scope.RESIDENT),
    "POST /residents/{rid}/move": ("card.face", Scope.RESIDENT),
    "POST /residents/{rid}/rename": ("card.face", Scope.RESIDENT),
    "POST /residents/{rid}/new_cert": ("cert.manage", Scope.RESIDENT),
    "POST /residents/{rid}/renew_cert": ("cert.manage", Scope.RESIDENT),
    "POST /residents/{rid}/revoke_cert": ("cert.manage", Scope.RESIDENT),
    "POST /residents/{rid}/loss": ("card.loss", Scope.RESIDENT),
    "POST /residents/{rid}/found": ("card.found", Scope.RESIDENT),
    "POST /residents/{rid}/pin_reset": ("pin.reset", Scope.RESIDENT),
    "POST /residents/{rid}/return": ("card.return", Scope.RESIDENT),
    "POST /residents/{rid}/number": ("resident.number_read", Scope.RESIDENT),
    "POST /residents/{rid}/move_out": ("card.face", Scope.RESIDENT),
    "POST /residents/{rid}/continued_use": ("card.face", Scope.RESIDENT),
    "POST /residents/{rid}/revoke_held": ("card.revoke_held", Scope.RESIDENT),
    "GET /residents/{rid}/do/{action}": ("resident.read", Scope.RESIDENT),  # each task's own permission too
    "GET /register": ("resident.register", Scope.OWN),  # into the staff member's own municipality
    "POST /register": ("resident.register", Scope.OWN),
    "GET /moving-in": ("card.face", Scope.OWN),  # moves into the staff member's municipality
    "GET /moving-in/{rid}": ("card.face", Scope.MOVING_IN),
    "POST /moving-in/{rid}": ("card.face", Scope.MOVING_IN),
    "GET /batch": ("notice.print", Scope.OWN),  # the print queue of notices (and the batch's form)
    "POST /batch": ("batch.run", Scope.OWN),
    "POST /batch/printed": ("notice.print", Scope.OWN),  # notices of the own municipality only
    "GET /clock": ("admin.clock", Scope.NATIONWIDE),
    "POST /clock": ("admin.clock", Scope.NATIONWIDE),
    "GET /renewals": ("resident.read", Scope.OWN),
    "GET /hotline": ("hotline.suspend", Scope.NATIONWIDE),
    "POST /hotline": ("hotline.suspend", Scope.NATIONWIDE),
    "GET /audit": ("audit.read", Scope.NATIONWIDE),
    "GET /audit.csv": ("audit.read", Scope.NATIONWIDE),
}

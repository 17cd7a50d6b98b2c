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
    "document.read": WINDOW,
    "audit.read": frozenset({Role.AUDITOR, Role.ADMIN}),
    "admin.accounts": frozenset({Role.ADMIN}),
    "admin.clock": frozenset({Role.ADMIN}),
    "admin.municipality": frozenset({Role.ADMIN}),
}

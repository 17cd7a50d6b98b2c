"""The hash-chained audit trail of staff actions and number reads (R_NUM_3)."""

from mynacard.audit.log import AuditProblem, append, entries, verify

__all__ = ["AuditProblem", "append", "entries", "verify"]

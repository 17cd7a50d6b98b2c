"""The hash-chained audit trail of staff actions and number reads (R_NUM_3)."""

from mynacard.audit.log import AuditProblem, append, append_in, entries, head, verify

__all__ = ["AuditProblem", "append", "append_in", "entries", "head", "verify"]

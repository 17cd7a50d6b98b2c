"""The sandbox's RFC 3161 timestamp authority and the XAdES-T helpers (see ``authority``)."""

from mynacard.tsa.authority import TSA_POLICY_OID, TimestampAuthority, TsaRequestError

__all__ = ["TSA_POLICY_OID", "TimestampAuthority", "TsaRequestError"]

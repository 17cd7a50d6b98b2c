"""Publishing revocation status: delegated OCSP responders, pre-signed responses, CRLs (R_CERT_8)."""

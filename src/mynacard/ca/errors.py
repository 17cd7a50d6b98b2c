"""Errors of the CA library."""

from __future__ import annotations

from mynacard.errors import ValidationError


class ProfileError(ValidationError, ValueError):
    """A request the certificate profile cannot hold (R_CERT_9): wrong sex code, bad address...

    It is both a ``ValidationError`` (so the services layer maps it like any input error, with
    ``field``) and a ``ValueError`` (the pyca convention for a value that breaks a rule).
    """

    code = "invalid_certificate_request"

"""Login and signing with the card for relying parties (デジタル認証アプリ相当の認証・署名).

The workflows of an OpenID Connect provider compatible with the Digital Agency's
authentication-app API: client registration, the authorization request, the holder's approval
with the card (a signature over the request's challenge with the authentication certificate,
and with the signing certificate when attributes or a document signature are asked for), the
code exchange, userinfo, and signing transactions. Each runs in one unit of work and takes the
time from it. The holder's approval checks the signature, the chain to the sandbox's JPKI CA
and the certificate's status in the store at that moment.
"""

from mynacard.services.login.clients import Registration, check_redirect, client, first_party_client, register_client
from mynacard.services.login.common import (
    ASSERTION_TYPE,
    ClientAuthError,
    CodeReplayed,
    GrantError,
    TokenError,
    digest,
)
from mynacard.services.login.requests import (
    REFUSALS_JA,
    Approval,
    approve,
    challenge,
    finish,
    parsed,
    request,
    start,
)
from mynacard.services.login.tokens import (
    Tokens,
    authenticate_client,
    bearer,
    client_credentials,
    exchange_code,
    jwks,
    signing_key,
    start_transaction,
    subject,
    transaction_result,
    userinfo,
)

__all__ = [
    "ASSERTION_TYPE",
    "REFUSALS_JA",
    "Approval",
    "ClientAuthError",
    "CodeReplayed",
    "GrantError",
    "Registration",
    "TokenError",
    "Tokens",
    "approve",
    "authenticate_client",
    "bearer",
    "challenge",
    "check_redirect",
    "client",
    "client_credentials",
    "digest",
    "exchange_code",
    "finish",
    "first_party_client",
    "jwks",
    "parsed",
    "register_client",
    "request",
    "signing_key",
    "start",
    "start_transaction",
    "subject",
    "transaction_result",
    "userinfo",
]

"""CA and OCSP signing keys held in a PKCS#11 token (an HSM; SoftHSM2 to try it out).

A key made here is generated inside the token, marked sensitive and not extractable, and only
ever asked to sign: the store keeps its RFC 7512 URI (``pkcs11:token=…;object=…;type=private``)
instead of a sealed key. The token is reached through python-pkcs11 (the optional ``hsm``
extra) with the module ``MYNACARD_PKCS11_MODULE`` (e.g. Debian's
``/usr/lib/softhsm/libsofthsm2.so``) and the user PIN ``MYNACARD_PKCS11_PIN``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding as _padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import AsymmetricPadding

from mynacard.errors import ConfigError

MODULE_ENV = "MYNACARD_PKCS11_MODULE"
PIN_ENV = "MYNACARD_PKCS11_PIN"
KEY_BITS = 2048


def _pkcs11() -> Any:
    try:
        import pkcs11
    except ImportError:
        raise ConfigError(
            "Keys in a PKCS#11 token need python-pkcs11: pip install 'mynacard[hsm]'.",
            "PKCS#11 トークンの鍵を使うには python-pkcs11 が必要です(pip install 'mynacard[hsm]')。",
        ) from None
    return pkcs11


@dataclass(frozen=True)
class KeyRef:
    """Where a key is: a token (by label) and an object (by label)."""

    token: str
    label: str

    @property
    def uri(self) -> str:
        return f"pkcs11:token={quote(self.token, safe='')};object={quote(self.label, safe='')};type=private"

    @classmethod
    def parse(cls, uri: str) -> KeyRef:
        if not uri.startswith("pkcs11:"):
            raise ValueError(f"Not a PKCS#11 URI: {uri!r}")
        attrs = dict(part.partition("=")[::2] for part in uri.removeprefix("pkcs11:").split(";") if part)
        if "token" not in attrs or "object" not in attrs:
            raise ValueError(f"A key URI names its token and object: {uri!r}")
        return cls(unquote(attrs["token"]), unquote(attrs["object"]))


class TokenKey:
    """A private key in a token, usable wherever a ``mynacard.crypto.Signer`` is."""

    def __init__(self, token: Token, ref: KeyRef, private: Any, public: rsa.RSAPublicKey) -> None:
        self._token, self.ref, self._private, self._public = token, ref, private, public

    def __repr__(self) -> str:
        return f"TokenKey({self.ref.uri!r})"

    @property
    def uri(self) -> str:
        return self.ref.uri

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public

    def sign(self, data: bytes, padding: AsymmetricPadding, algorithm: hashes.HashAlgorithm) -> bytes:
        if not isinstance(padding, _padding.PKCS1v15) or not isinstance(algorithm, hashes.SHA256):
            raise ValueError("A token key signs with PKCS#1 v1.5 and SHA-256 only.")
        mech = _pkcs11().Mechanism.SHA256_RSA_PKCS
        with self._token.lock:
            return bytes(self._private.sign(data, mechanism=mech))


class Token:
    """One logged-in session with a token. Signing is serialised: a PKCS#11 session runs one
    operation at a time."""

    def __init__(self, module: str, label: str, pin: str) -> None:
        p11 = _pkcs11()
        self.label = label
        self.lock = threading.RLock()
        self._keys: dict[str, TokenKey] = {}
        lib = _library(module)
        try:
            token = lib.get_token(token_label=label)
        except p11.exceptions.NoSuchToken:
            raise ConfigError(
                f"No PKCS#11 token labelled {label!r} in {module}: initialise it first "
                f"(softhsm2-util --init-token --free --label {label}).",
                f"PKCS#11 トークン {label} が見つかりません。",
            ) from None
        try:
            self._session = token.open(user_pin=pin, rw=True)
        except p11.exceptions.PinIncorrect:
            raise ConfigError(
                f"Wrong user PIN for the token {label!r} ({PIN_ENV}).", "トークンの PIN が違います。"
            ) from None

    def _public(self, private: Any) -> rsa.RSAPublicKey:
        p11 = _pkcs11()
        pub = self._session.get_key(object_class=p11.ObjectClass.PUBLIC_KEY, label=private.label)
        n = int.from_bytes(pub[p11.Attribute.MODULUS], "big")
        e = int.from_bytes(pub[p11.Attribute.PUBLIC_EXPONENT], "big")
        return rsa.RSAPublicNumbers(e, n).public_key()

    def generate(self, label: str) -> TokenKey:
        """A new RSA-2048 key pair (e = 65537) made in the token; refuses a label in use."""
        p11 = _pkcs11()
        a = p11.Attribute
        with self.lock:
            if list(self._session.get_objects({a.LABEL: label})):
                raise ConfigError(f"The token {self.label!r} already holds a key labelled {label!r}.",
                                  "同じラベルの鍵がすでにあります。")
            _, private = self._session.generate_keypair(
                p11.KeyType.RSA, KEY_BITS, store=True, label=label,
                public_template={a.PUBLIC_EXPONENT: b"\x01\x00\x01", a.VERIFY: True},
                private_template={a.SENSITIVE: True, a.EXTRACTABLE: False, a.SIGN: True, a.PRIVATE: True},
            )
            return TokenKey(self, KeyRef(self.label, label), private, self._public(private))

    def key(self, label: str) -> TokenKey:
        p11 = _pkcs11()
        with self.lock:
            if label in self._keys:
                return self._keys[label]
            try:
                private = self._session.get_key(object_class=p11.ObjectClass.PRIVATE_KEY, label=label)
            except (p11.exceptions.NoSuchKey, p11.exceptions.MultipleObjectsReturned):
                raise ConfigError(
                    f"The token {self.label!r} holds no single private key labelled {label!r}.",
                    "トークンに鍵が見つかりません。",
                ) from None
            found = TokenKey(self, KeyRef(self.label, label), private, self._public(private))
            self._keys[label] = found
            return found


_lock = threading.Lock()
_libraries: dict[str, Any] = {}
_tokens: dict[tuple[str, str], Token] = {}


def _library(module: str) -> Any:
    with _lock:
        if module not in _libraries:
            if not os.path.exists(module):
                raise ConfigError(f"No PKCS#11 module at {module} ({MODULE_ENV}).", "PKCS#11 モジュールがありません。")
            _libraries[module] = _pkcs11().lib(module)
        return _libraries[module]


def open_token(label: str, *, module: str | None = None, pin: str | None = None) -> Token:
    """The token ``label`` (logged in once per process), with the module and PIN given or
    taken from ``MYNACARD_PKCS11_MODULE`` and ``MYNACARD_PKCS11_PIN``."""
    module = module or os.environ.get(MODULE_ENV)
    pin = pin if pin is not None else os.environ.get(PIN_ENV)
    if not module or pin is None:
        raise ConfigError(
            f"The key is in the PKCS#11 token {label!r}: set {MODULE_ENV} (e.g. "
            f"/usr/lib/softhsm/libsofthsm2.so) and {PIN_ENV} (the token's user PIN).",
            f"鍵は PKCS#11 トークン {label} にあります。{MODULE_ENV} と {PIN_ENV} を設定してください。",
        )
    with _lock:
        tok = _tokens.get((module, label))
    if tok is None:
        tok = Token(module, label, pin)
        with _lock:
            tok = _tokens.setdefault((module, label), tok)
    return tok


def signer(uri: str) -> TokenKey:
    """The key a stored URI names."""
    ref = KeyRef.parse(uri)
    return open_token(ref.token).key(ref.label)

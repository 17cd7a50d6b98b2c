"""The chip of the My Number Card: PIN objects, on-chip keys, certificates and card data.

``Chip`` is the service-level view. Its PIN objects live in a ``PinCounters`` (the state in
memory, or rows of the store): a VERIFY spends and records the try *before* the PIN is
compared (R_PIN_4), so a card pulled out of the reader mid-command has still spent it, and
concurrent commands never compare more PINs than the counter allows. The rest of the state
persists through ``on_change``, which receives the state every time it changes.
The per-session security status used by the APDU front end is in ``session.ChipSession``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from mynacard.chip.counters import PinCounters, StateCounters
from mynacard.chip.pins import (
    SLOT_PIN,
    FacePin,
    KeySlot,
    PinId,
    PinVerifier,
    ascii_upper,
    check_pin_format,
    face_pin_matches,
    pin_matches,
)
from mynacard.chip.signing import max_input_length, sign_padded
from mynacard.chip.state import CardInfo, ChipState
from mynacard.crypto import KeyGenerator, new_rsa_key, pin_verifier_key, seal_private_key, unseal_private_key
from mynacard.errors import StateError, ValidationError, WrongPin

OnChange = Callable[[ChipState], None]

KEY_BITS = 2048


class Chip:
    """One card's chip. Private keys are made here and never handed out (R_CERT_2)."""

    def __init__(
        self,
        state: ChipState,
        *,
        master_key: bytes,
        on_change: OnChange | None = None,
        pins: PinCounters | None = None,
    ) -> None:
        if len(master_key) != 32:
            raise ValueError("The master key must be 32 bytes.")
        self.state = state
        self._master_key = master_key
        self._pin_key: bytes | None = None
        self._deferred = False
        self._pending = False
        self._on_change = on_change
        self.pins: PinCounters = pins if pins is not None else StateCounters(lambda: self.state, self._changed)
        # Unsealed keys, keyed by the sealed blob they came from.
        self._keys: dict[KeySlot, tuple[bytes, rsa.RSAPrivateKey, rsa.RSAPrivateNumbers]] = {}

    @classmethod
    def blank(cls, card_id: str, *, master_key: bytes, on_change: OnChange | None = None) -> Chip:
        """A chip as it leaves the factory: no PINs, keys, certificates or card data."""
        if not card_id:
            raise ValueError("The card id should not be empty.")
        return cls(ChipState(card_id=card_id), master_key=master_key, on_change=on_change)

    def _changed(self) -> None:
        if self._deferred:
            self._pending = True
        elif self._on_change is not None:
            self._on_change(self.state)

    @contextmanager
    def changes_deferred(self) -> Iterator[None]:
        """Hand the state to ``on_change`` once when the block ends, not after each change
        (a key, its certificate and the CA certificate written together: one write)."""
        if self._deferred:
            yield
            return
        self._deferred, self._pending = True, False
        try:
            yield
        finally:
            self._deferred = False
            if self._pending:
                self._pending = False
                self._changed()

    # -- PINs -------------------------------------------------------------------------------

    @property
    def pin_key(self) -> bytes:
        """The key of this chip's keyed PIN verifiers (from the master key)."""
        if self._pin_key is None:
            self._pin_key = pin_verifier_key(self._master_key)
        return self._pin_key

    def new_verifier(self, value: str) -> PinVerifier:
        """A verifier of ``value`` (of the form ``check_pin_format`` gives)."""
        return PinVerifier.new(value.encode("ascii"), self.pin_key)

    def set_pin(self, pin_id: PinId, value: str) -> None:
        """Set a PIN and reset its counter (first setting, or reset at the window, R_PIN_5)."""
        pin_id = PinId(pin_id)
        normalized = check_pin_format(pin_id, value)
        self.pins.set(pin_id, self.new_verifier(normalized))

    def unset_pin(self, pin_id: PinId) -> None:
        """Unset a certificate's PIN: the chip holds neither its key nor its certificate."""
        self.pins.set(PinId(pin_id), None)

    def is_set(self, pin_id: PinId) -> bool:
        return self.pins.is_set(PinId(pin_id))

    def tries_left(self, pin_id: PinId) -> int:
        """Tries left, read without spending one (R_PIN_7). An unset PIN shows the maximum."""
        return self.pins.tries_left(PinId(pin_id))

    def is_locked(self, pin_id: PinId) -> bool:
        return self.tries_left(pin_id) == 0

    def verify_pin(self, pin_id: PinId, value: str) -> None:
        """Check a PIN as client software does: the signing password is upper-cased first.

        Any other difference of form is simply a wrong try: the chip compares bytes.
        """
        pin_id = PinId(pin_id)
        if pin_id is PinId.SIGN:
            value = ascii_upper(value)
        self.verify_pin_bytes(pin_id, value.encode("utf-8"))

    def verify_pin_bytes(self, pin_id: PinId, value: bytes) -> None:
        """The chip's VERIFY: spend a try and record it, then compare (R_PIN_4).

        Raises ``PinLocked`` (nothing changes) when no try is left, ``WrongPin`` with the
        tries left after a mismatch, ``StateError`` when the PIN was never set. If the try
        cannot be recorded, the error of the store propagates and nothing is compared.
        """
        pin_id = PinId(pin_id)
        spent = self.pins.spend(pin_id)
        assert spent.verifier is not None
        if not pin_matches(spent.verifier, bytes(value), self.pin_key):
            raise WrongPin(spent.pin.value, spent.tries_left)
        # A verifier of an earlier release (Argon2id, the first unkeyed HMAC) is replaced now
        # that the PIN is known, with the counter's reset.
        upgraded = PinVerifier.new(bytes(value), self.pin_key) if spent.verifier.outdated else None
        self.pins.succeeded(spent, upgraded)

    def change_pin(self, pin_id: PinId, old: str, new: str) -> None:
        """Change a PIN after entering the current one (R_PIN_6).

        The new value's form is checked first, as client software does, so a mistyped new
        PIN does not cost a try of the old one.
        """
        pin_id = PinId(pin_id)
        check_pin_format(pin_id, new)
        self.verify_pin(pin_id, old)
        self.set_pin(pin_id, new)

    # -- card-face PINs (券面事項確認AP) --------------------------------------------------------

    def face_tries_left(self, which: FacePin) -> int:
        return self.pins.tries_left(FacePin(which))

    def verify_face_pin(self, which: FacePin, value: bytes) -> None:
        """VERIFY of PIN A or PIN B of the card-face AP, counted like the other PINs."""
        which = FacePin(which)
        info = self.state.card_info
        expected = None if info is None else info.face_pin(which)
        if expected is None:
            raise StateError(
                f"The card-face PIN {which.value} cannot be used: the card data is incomplete.",
                "券面事項確認用の暗証番号が使用できません。",
                pin=which.value,
            )
        spent = self.pins.spend(which)
        if not face_pin_matches(expected.encode("ascii"), bytes(value)):
            raise WrongPin(which.value, spent.tries_left)
        self.pins.succeeded(spent)

    # -- keys and certificates ----------------------------------------------------------------

    def _context(self, slot: KeySlot) -> bytes:
        return b"chip:" + self.state.card_id.encode("utf-8") + b":" + slot.value.encode("ascii")

    def has_key(self, slot: KeySlot) -> bool:
        return KeySlot(slot) in self.state.sealed_keys

    def _key(self, slot: KeySlot) -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateNumbers]:
        slot = KeySlot(slot)
        blob = self.state.sealed_keys.get(slot)
        if blob is None:
            raise StateError(
                f"The chip has no {slot.value} key.",
                "ICチップに鍵がありません。",
                slot=slot.value,
            )
        cached = self._keys.get(slot)
        if cached is None or cached[0] != blob:
            key = unseal_private_key(blob, self._master_key, context=self._context(slot))
            cached = (blob, key, key.private_numbers())
            self._keys[slot] = cached
        return cached[1], cached[2]

    def generate_key(self, slot: KeySlot, keygen: KeyGenerator = new_rsa_key) -> rsa.RSAPublicKey:
        """Make a new RSA-2048 key pair on the chip and return its public key (R_CERT_2).

        The slot's old key and its certificate go: the certificate would no longer match.
        """
        slot = KeySlot(slot)
        key = keygen()
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != KEY_BITS:
            raise ValueError("The chip's keys should be RSA-2048 (R_CERT_2).")
        blob = seal_private_key(key, self._master_key, context=self._context(slot))
        self.state.sealed_keys[slot] = blob
        self.state.certificates.pop(slot, None)
        self._keys[slot] = (blob, key, key.private_numbers())
        self._changed()
        return key.public_key()

    def public_key(self, slot: KeySlot) -> rsa.RSAPublicKey:
        return self._key(slot)[0].public_key()

    def write_certificate(self, slot: KeySlot, der: bytes) -> None:
        """Store the certificate of the slot's key; it must certify that very key."""
        slot = KeySlot(slot)
        cert = _load_certificate(der, f"certificate.{slot.value}")
        if cert.public_key() != self.public_key(slot):
            raise ValidationError(
                f"certificate.{slot.value}",
                f"The certificate does not certify the chip's {slot.value} key.",
                "電子証明書の公開鍵がICチップの鍵と一致しません。",
            )
        self.state.certificates[slot] = bytes(der)
        self._changed()

    def certificate(self, slot: KeySlot) -> bytes | None:
        return self.state.certificates.get(KeySlot(slot))

    def write_ca_certificate(self, slot: KeySlot, der: bytes) -> None:
        slot = KeySlot(slot)
        _load_certificate(der, f"ca_certificate.{slot.value}")
        self.state.ca_certificates[slot] = bytes(der)
        self._changed()

    def ca_certificate(self, slot: KeySlot) -> bytes | None:
        return self.state.ca_certificates.get(KeySlot(slot))

    def clear_slot(self, slot: KeySlot) -> None:
        """Remove the slot's key, its certificate and the CA certificate beside it, and unset its
        PIN (revoked and not reissued): the chip then shows what a chip whose holder declined
        that certificate shows (``applications.JPKI_AP``)."""
        slot = KeySlot(slot)
        self.state.sealed_keys.pop(slot, None)
        self.state.certificates.pop(slot, None)
        self.state.ca_certificates.pop(slot, None)
        self._keys.pop(slot, None)
        self._changed()
        self.unset_pin(SLOT_PIN[slot])

    # -- card data ----------------------------------------------------------------------------

    @property
    def card_info(self) -> CardInfo | None:
        return self.state.card_info

    def write_card_info(self, info: CardInfo) -> None:
        """Write the card-face data (issue, or a change noted on the card, R_CARD_7).

        The card-face PINs derive from this data, so their counters start afresh.
        """
        self.state.card_info = info.validate()
        self._changed()
        for which in FacePin:
            self.pins.set(which, None)

    # -- signing ------------------------------------------------------------------------------

    def _check_sign_input(
        self, slot: KeySlot, data: bytes
    ) -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateNumbers]:
        key, numbers = self._key(slot)
        k = (numbers.public_numbers.n.bit_length() + 7) // 8
        if not 0 < len(data) <= max_input_length(k):
            raise ValidationError(
                "digest_info",
                f"The DigestInfo should be 1 to {max_input_length(k)} bytes, not {len(data)}.",
                "署名対象データの長さが正しくありません。",
            )
        return key, numbers

    def private_key_operation(self, slot: KeySlot, data: bytes) -> bytes:
        """The raw COMPUTE DIGITAL SIGNATURE; the caller has checked the security status."""
        return sign_padded(*self._check_sign_input(slot, data), bytes(data))

    def sign(self, slot: KeySlot, digest_info: bytes, pin: str) -> bytes:
        """Verify the slot's PIN, then sign ``digest_info`` as given (PKCS#1 v1.5, R_CERT_2).

        No hashing is done: ``digest_info`` is the DER DigestInfo (see
        ``signing.digest_info``). The key's presence is checked first so that a card without
        the key, or a DigestInfo of the wrong size, does not cost the holder a try.
        """
        slot = KeySlot(slot)
        key, numbers = self._check_sign_input(slot, digest_info)
        self.verify_pin(SLOT_PIN[slot], pin)
        return sign_padded(key, numbers, bytes(digest_info))


def _load_certificate(der: bytes, field: str) -> x509.Certificate:
    if not isinstance(der, bytes | bytearray):
        raise TypeError(f"{field} must be DER bytes")
    try:
        return x509.load_der_x509_certificate(bytes(der))
    except ValueError as exc:
        raise ValidationError(
            field, f"Not a DER X.509 certificate: {exc}", "電子証明書の形式が正しくありません。"
        ) from exc

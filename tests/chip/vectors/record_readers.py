"""Record the open readers' sessions as traces: ``python -m tests.chip.vectors.record_readers``.

Each session runs one reader of ``tests/chip/readers`` (its APDUs transcribed from its source,
named in the trace's header) against the card of ``card.json`` and writes
``reader_<name>.trace``; ``test_vectors.py`` then replays them byte for byte. Sessions that read
the card-face images are left out (their bytes depend on Pillow and the fonts); they run live in
``test_readers.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from mynacard.chip import digest_info
from tests.chip.readers import Wire, jpki_myna, jpki_rs, jsapdu, pyjpki
from tests.chip.vectors.record import load_card
from tests.chip.vectors.trace import VECTORS, format_trace

DI = digest_info("sha256", hashlib.sha256(b"mynacard reader vector").digest())
MYNA = "jpki/myna (github.com/jpki/myna), Rust f85dc71 and Go before df6cd7e"
JSAPDU = "AokiApp/jsapdu (github.com/AokiApp/jsapdu), examples/mynacard and packages/mynacard"
JPKI_RS = "siketyan/jpki-rs (github.com/siketyan/jpki-rs), core/src at 15d4e7f / 061f4e4"
PYJPKI = "meowkawaiijp/pyjpki (github.com/meowkawaiijp/pyjpki), src/pyjpki/card.py at 51d8075"


def _myna(fn: Callable[[jpki_myna.MynaReader], object]) -> Callable[[Wire], object]:
    return lambda w: fn(jpki_myna.MynaReader(w))


def _jsapdu(fn: Callable[[jsapdu.Session], object]) -> Callable[[Wire], object]:
    return lambda w: fn(jsapdu.Session(w))


def _rs(fn: Callable[[jpki_rs.Card], object]) -> Callable[[Wire], object]:
    return lambda w: fn(jpki_rs.Card(w))


SESSIONS: dict[str, tuple[str, Callable[[Wire], object]]] = {
    "myna_card": (f"{MYNA}: the card check (token EF 0006).", _myna(jpki_myna.card)),
    "myna_pin_status": (f"{MYNA}: myna pin status.", _myna(jpki_myna.pin_status)),
    "myna_text": (
        f"{MYNA}: myna text basic-info, mynumber, attrs; Go text signature, cert, info.",
        _myna(lambda r: (jpki_myna.text_basic_info(r), jpki_myna.text_mynumber(r, "9012"),
                         jpki_myna.text_attrs(r, "9012"), jpki_myna.text_signature(r, "9012"),
                         jpki_myna.text_cert(r, "9012"), jpki_myna.text_info(r))),
    ),
    "myna_visual_basic_info": (f"{MYNA}: myna visual basic-info.", _myna(jpki_myna.visual_basic_info)),
    "myna_jpki_cert": (
        f"{MYNA}: myna jpki cert auth, authca, signca, sign (with the signing password).",
        _myna(lambda r: [jpki_myna.jpki_cert(r, k, "ABC123") for k in ("auth", "authca", "signca", "sign")]),
    ),
    "myna_jpki_sign": (
        f"{MYNA}: myna jpki cms sign (signing key) and pkey sign -t auth.",
        _myna(lambda r: (jpki_myna.jpki_sign(r, "ABC123", DI), jpki_myna.jpki_pkey_sign_auth(r, "1234", DI))),
    ),
    "myna_unknown": (f"{MYNA}: myna unknown number (the common AP).", _myna(jpki_myna.unknown_number)),
    "jsapdu_kenhojo": (
        f"{JSAPDU}: kenhojo read-my-number, read-basic-four, read-signature; the intermediate "
        "certificate. Short EF identifiers in VERIFY and READ BINARY, extended Le 0000.",
        _jsapdu(lambda s: (jsapdu.kenhojo_my_number(s, "9012"), jsapdu.kenhojo_basic_four(s, "9012"),
                           jsapdu.kenhojo_signature(s, "9012"),
                           jsapdu.intermediate_certificate(s, jsapdu.KENHOJO_EF["INTERMEDIATE_CERTIFICATE"]))),
    ),
    "jsapdu_jpki_fci": (
        f"{JSAPDU}: SELECT of the JPKI AP with the FCI, EF 000A by its short EF identifier.",
        _jsapdu(jsapdu.jpki_auth_certificate),
    ),
    "jpki_rs": (
        f"{JPKI_RS}: read_certificate auth and sign, auth, sign, read_my_number, read_attributes.",
        _rs(lambda c: (jpki_rs.read_certificate(c, "auth"), jpki_rs.read_certificate(c, "sign", b"ABC123"),
                       jpki_rs.auth(c, b"1234", DI), jpki_rs.sign(c, b"ABC123", DI),
                       jpki_rs.read_my_number(c, b"9012"), jpki_rs.read_attributes(c, b"9012"))),
    ),
    "pyjpki": (
        f"{PYJPKI}: verify_pin attr, read_personal_info, verify_pin auth, sign_data auth.",
        lambda w: (pyjpki.verify_pin(w, "9012", "attr"), pyjpki.read_personal_info(w),
                   pyjpki.verify_pin(w, "1234", "auth"), pyjpki.sign_data(w, b"login", "auth")),
    ),
}


def record(card_text: str, session: Callable[[Wire], object]) -> list[tuple[bytes | None, bytes]]:
    card = load_card(card_text)
    atr = card.reset()
    wire = Wire(card.transmit)
    session(wire)
    return [(None, atr), *wire.log]


def main() -> None:
    card_text = (VECTORS / "card.json").read_text(encoding="utf-8")
    for name, (description, session) in SESSIONS.items():
        header = f"{description}\nTranscribed from the reader's source: tests/chip/readers."
        (VECTORS / f"reader_{name}.trace").write_text(
            format_trace(header, record(card_text, session)), encoding="ascii"
        )
        print("wrote", name)


if __name__ == "__main__":
    main()

"""Minimal BER-TLV (ISO 7816-4 / X.690) for the card's data files.

Tags are given as integers in their encoded form (0xFF20, 0xDF22); lengths use the short
form below 128 and 81/82 xx.. above, as the card's data objects do.
"""

from __future__ import annotations


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n <= 0xFF:
        return b"\x81" + bytes((n,))
    if n <= 0xFFFF:
        return b"\x82" + n.to_bytes(2, "big")
    raise ValueError("TLV values above 65535 bytes are not used on the card.")


def encode(tag: int, value: bytes) -> bytes:
    """One TLV: the tag's bytes, the BER length, the value."""
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    return tag_bytes + encode_length(len(value)) + value


def encode_long(tag: int, value: bytes) -> bytes:
    """One TLV with the three-byte length form ``82 xx xx`` whatever the value's size.

    The outer objects of the card's data files (``FF 20 82 xx xx`` in EF 0002 of the
    card-info-input AP) use this form on real cards, and readers take the offsets that
    follow at fixed positions.
    """
    if len(value) > 0xFFFF:
        raise ValueError("TLV values above 65535 bytes are not used on the card.")
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    return tag_bytes + b"\x82" + len(value).to_bytes(2, "big") + value


def decode(data: bytes) -> list[tuple[int, bytes]]:
    """Split ``data`` into (tag, value) pairs; trailing FF or 00 padding is ignored.

    ``ValueError`` if a length runs past the end.
    """
    out: list[tuple[int, bytes]] = []
    i = 0
    while i < len(data):
        if data[i] in (0x00, 0xFF) and all(b == data[i] for b in data[i:]):
            break
        tag = data[i]
        i += 1
        if tag & 0x1F == 0x1F:  # multi-byte tag: continue while b8 is set
            while True:
                if i >= len(data):
                    raise ValueError("Truncated TLV tag.")
                tag = (tag << 8) | data[i]
                i += 1
                if not data[i - 1] & 0x80:
                    break
        if i >= len(data):
            raise ValueError("Truncated TLV length.")
        length = data[i]
        i += 1
        if length & 0x80:
            count = length & 0x7F
            if count not in (1, 2) or i + count > len(data):
                raise ValueError("Unsupported or truncated TLV length.")
            length = int.from_bytes(data[i : i + count], "big")
            i += count
        if i + length > len(data):
            raise ValueError("TLV value runs past the end of the data.")
        out.append((tag, bytes(data[i : i + length])))
        i += length
    return out

"""The card data files, byte for byte where the sources fix the bytes (R_CHIP_4)."""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from datetime import date

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from PIL import Image

from mynacard.chip import card_data, face_images, tlv
from mynacard.chip.card_data import CardData
from tests.chip.conftest import CARD_INFO

DATA = CardData.of(CARD_INFO)


def test_number_ef_is_17_bytes_with_ff10() -> None:
    ef = card_data.number_ef(DATA)
    assert len(ef) == 17 and ef[:3] == b"\xff\x10\x0c" and ef[3:15] == b"123456789018"


def test_attributes_ef_has_three_byte_outer_length_and_fixed_offsets() -> None:
    """Readers take DF21 at byte 5 and the first object at byte 16: FF 20 82 xx xx DF 21 08."""
    ef = card_data.attributes_ef(DATA)
    assert ef[:3] == b"\xff\x20\x82" and int.from_bytes(ef[3:5], "big") == len(ef) - 5
    assert ef[5:8] == b"\xdf\x21\x08"
    offsets = [int.from_bytes(ef[8 + i : 10 + i], "big") for i in range(0, 8, 2)]
    assert offsets[0] == 16
    for off, tag in zip(offsets, (b"\xdf\x22", b"\xdf\x23", b"\xdf\x24", b"\xdf\x25"), strict=True):
        assert ef[off : off + 2] == tag


def test_signature_ef_is_336_bytes_and_verifies() -> None:
    ef = card_data.card_info_signature_ef(DATA)
    assert len(ef) == 336
    [(tag, body)] = tlv.decode(ef)
    items = dict(tlv.decode(body))
    assert tag == 0xFF30 and list(items) == [0xDF31, 0xDF32, 0xDF33]
    assert card_data.verify_signature(items[0xDF31] + items[0xDF32], items[0xDF33])


def test_cv_certificate_is_568_bytes_signed_by_the_root() -> None:
    cert = card_data.cv_certificate()
    assert len(cert) == 568 and cert[:5] == b"\x7f\x21\x82\x02\x33"
    [(_, body)] = tlv.decode(cert)
    items = dict(tlv.decode(body))
    root = card_data.sandbox_key("card_data_root").public_key()
    root.verify(items[0x5F37], items[0x5F4E], padding.PKCS1v15(), hashes.SHA256())


def test_face_entries_offsets_point_at_each_object() -> None:
    ef = card_data.face_entries_ef(DATA)
    [(tag, body)] = tlv.decode(ef)
    items = tlv.decode(body)
    assert tag == 0xFF20 and [t for t, _ in items] == list(range(0xDF21, 0xDF2B))
    header = items[0][1]
    offsets = [int.from_bytes(header[i : i + 2], "big") for i in range(0, len(header), 2)]
    for off, tag in zip(offsets, range(0xDF22, 0xDF2B), strict=True):
        assert ef[off : off + 2] == tag.to_bytes(2, "big")


def test_expiry_on_29_february_is_28_february_in_a_common_year_R_CARD_4() -> None:
    leapling = replace(DATA, birth_date=date(2004, 2, 29), expiry_year=2035)
    assert card_data.expiry_date(leapling) == date(2035, 2, 28)
    assert card_data.expiry_date(replace(leapling, expiry_year=2036)) == date(2036, 2, 29)
    assert card_data.expiry_date(replace(DATA, expiry_year=None)) is None


def test_images_are_png_and_jpeg2000() -> None:
    name = Image.open(io.BytesIO(face_images.name_png(CARD_INFO.name)))
    assert name.format == "PNG" and name.mode == "1"
    assert Image.open(io.BytesIO(face_images.face_photo_jp2("123456789018"))).format == "JPEG2000"
    # Different numbers make different photos.
    assert face_images.face_photo_jp2("123456789018") != face_images.face_photo_jp2("000000000019")


def test_without_a_japanese_font_images_still_render_and_say_so(monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MYNACARD_CJK_FONT", "/nonexistent.ttf")
    monkeypatch.setattr(face_images, "FONT_CANDIDATES", ())
    for cached in (face_images.cjk_font_path, face_images._font, face_images.text_png):
        cached.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="mynacard.chip.face_images"):
            png = face_images.name_png("番号 花子")
        assert "No Japanese font found" in caplog.text
        assert Image.open(io.BytesIO(png)).info["mynacard-font"] == "pillow-default"
    finally:
        for cached in (face_images.cjk_font_path, face_images._font, face_images.text_png):
            cached.cache_clear()


@pytest.mark.parametrize(
    ("address", "city"),
    [
        ("東京都千代田区千代田1-1", "東京都千代田区"),
        ("北海道札幌市中央区北1条", "北海道札幌市"),
        ("沖縄県島尻郡与那原町", "沖縄県島尻郡与那原町"),
        ("千葉県市川市八幡", "千葉県市川市"),
        ("京都府京都市中京区寺町通", "京都府京都市"),
        ("大阪府大阪市北区中之島", "大阪府大阪市"),
        ("神奈川県横浜市中区港町", "神奈川県横浜市"),  # a prefecture of three characters and 県
        ("和歌山県和歌山市七番丁", "和歌山県和歌山市"),
        ("京都市中京区寺町通", "京都市"),  # written from the city on: 京都 is no prefecture here
        ("上尾市道場1-1", "上尾市"),  # nor is 上尾市道 one
    ],
)
def test_municipality(address: str, city: str) -> None:
    assert card_data.municipality(address) == city


@pytest.mark.parametrize(
    ("address", "length"),
    [
        ("北海道札幌市中央区", 3),
        ("東京都千代田区", 3),
        ("愛知県名古屋市中区", 3),
        ("神奈川県横浜市中区", 4),
        ("京都市中京区寺町通", 0),  # no prefecture written
        ("津市西丸之内", 0),
    ],
)
def test_the_prefecture_is_the_first_three_or_four_characters_when_written(address: str, length: int) -> None:
    assert card_data._prefecture_length(address) == length

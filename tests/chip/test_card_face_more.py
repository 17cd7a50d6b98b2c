"""The card-face images as printed (sizes, wrapping, the number's groups, PNG coding), the
municipality of the card-face EF 0003 and the fixed size of the number EF (chip/face_images.py,
card_data.py; R_CHIP_4)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace

import pytest
from PIL import Image, PngImagePlugin

from mynacard.chip import card_data, face_images
from mynacard.chip.card_data import CardData
from tests.chip.conftest import CARD_INFO

DATA = CardData.of(CARD_INFO)
LONG_ADDRESS = "北海道" + "札幌市中央区北一条西二丁目一番地" * 10  # far more than three printed lines


@pytest.fixture(autouse=True)
def fresh_images() -> Iterator[None]:
    face_images.text_png.cache_clear()
    yield
    face_images.text_png.cache_clear()


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


class TenPixelFont:
    """Every character 10 pixels wide."""

    def getlength(self, text: str) -> float:
        return 10.0 * len(text)


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("abc", ["abc"]),  # exactly the width: one line
        ("abcdefg", ["abc", "def", "g"]),  # a line breaks before the character that overflows
        ("a", ["a"]),
        ("", [""]),  # nothing to print: one empty line
    ],
)
def test_printed_text_is_wrapped_before_the_character_that_would_overflow(text: str, lines: list[str]) -> None:
    assert face_images._wrap(text, TenPixelFont(), 30) == lines  # type: ignore[arg-type]


def test_a_character_wider_than_the_line_has_a_line_of_its_own() -> None:
    assert face_images._wrap("abc", TenPixelFont(), 5) == ["a", "b", "c"]  # type: ignore[arg-type]


def test_the_name_is_one_line_of_28_pixel_text_360_wide() -> None:
    # a line is 28 + 28 // 4 pixels high, with 2 pixels of margin above and below
    assert _image(face_images.name_png(CARD_INFO.name)).size == (360, 39)


def test_the_address_is_20_pixel_text_480_wide_on_three_lines_at_most() -> None:
    assert _image(face_images.address_png(CARD_INFO.address)).size == (480, 29)
    assert _image(face_images.address_png(LONG_ADDRESS)).size == (480, 3 * 25 + 4)


def test_the_security_code_is_20_pixel_text_80_wide() -> None:
    assert _image(face_images.security_code_png("4321")).size == (80, 29)


def test_the_number_is_printed_in_three_groups_of_four_digits_in_28_pixel_text_300_wide() -> None:
    png = face_images.number_png("123456789018")
    assert _image(png).size == (300, 39)
    assert png == face_images.text_png("1234 5678 9018", 300, 28)
    assert png != face_images.text_png("123456789018", 300, 28)


def test_an_empty_text_is_a_blank_line() -> None:
    image = _image(face_images.text_png("", 80, 20))
    assert image.size == (80, 29)
    assert image.getextrema() == (255, 255)  # all white


def test_the_images_are_stored_as_compactly_as_pillow_codes_them() -> None:
    """The EF is read in 256-byte steps: the PNG is written with Pillow's optimize option."""
    for png in (face_images.name_png(CARD_INFO.name), face_images.address_png(CARD_INFO.address)):
        image = _image(png)
        info = PngImagePlugin.PngInfo()
        info.add_text("mynacard-font", image.info["mynacard-font"])
        optimized, plain = io.BytesIO(), io.BytesIO()
        image.save(optimized, format="PNG", pnginfo=info, optimize=True)
        image.save(plain, format="PNG", pnginfo=info)
        assert png == optimized.getvalue()
    assert len(png) < len(plain.getvalue())  # the address image: smaller than without the option


@pytest.mark.parametrize(
    ("address", "city"),
    [
        ("三重県津市西丸之内23-1", "三重県津市"),  # a one-character name after the prefecture
        ("津市西丸之内23-1", "津市"),  # and without the prefecture written
        ("羽曳野市道明寺3-1", "羽曳野市"),  # 道 after the municipality is no prefecture
        ("X町1-1", "X町"),  # only 都, 道, 府 and 県 end a prefecture,
        ("AX町1-1", "AX町"),  # only 市, 区, 町 and 村 a municipality
    ],
)
def test_the_municipality_ends_at_the_first_city_ward_town_or_village_after_one_character(
    address: str, city: str
) -> None:
    assert card_data.municipality(address) == city


def test_the_municipality_is_written_in_the_card_face_ef_0003() -> None:
    ef = card_data.face_info_ef(replace(DATA, address="三重県津市西丸之内23-1"))
    assert ef.endswith(b"\xdf\x44\x0f" + "三重県津市".encode())


def test_content_over_the_size_of_a_fixed_size_ef_is_refused() -> None:
    with pytest.raises(ValueError) as e:
        card_data.number_ef(replace(DATA, individual_number="1234567890123456"))
    assert str(e.value) == "The EF content is 19 bytes, over its size 17."

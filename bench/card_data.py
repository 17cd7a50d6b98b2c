"""How long the card takes to make and serve its card data files.

    python bench/card_data.py [-n 50]

Prints: the first build of the card-face EF 0002 for a new card (images rendered, photo
encoded as JPEG 2000, RSA signature) and of the card-info-input files; then, from the cache,
the time a reader needs to read them through the APDU front end (jpki/myna's 256-byte steps
and jsapdu's one extended read).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from datetime import date

from mynacard.chip import CardInfo, Chip, PinId
from mynacard.chip import card_data as cd
from mynacard.chip.card_os import VirtualCard

INFO = CardInfo("123456789018", "番号 花子", "東京都千代田区千代田1-1", date(1990, 4, 1), "2", 2034, "4321")


def ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.2f} ms, max {max(samples) * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=50)
    n = parser.parse_args().n
    cd.cv_certificate()  # load the sandbox keys once

    first: list[float] = []
    for i in range(n):
        number = f"{i:011d}"
        from stdnum.jp import in_

        data = cd.CardData.of(replace(INFO, individual_number=number + in_.calc_check_digit(number)))
        t = time.perf_counter()
        cd.face_entries_ef(data)
        cd.face_number_ef(data)
        cd.face_birth_ef(data)
        cd.card_info_signature_ef(data)
        first.append(time.perf_counter() - t)
    print(f"first build of the card data of a new card: {ms(first)} (n={n})")
    size = len(cd.face_entries_ef(cd.CardData.of(INFO)))
    print(f"card-face EF 0002: {size} bytes")

    chip = Chip.blank("bench", master_key=bytes(32))
    chip.set_pin(PinId.CARD_INFO, "9012")
    chip.write_card_info(INFO)
    card = VirtualCard(chip)
    steps: list[float] = []
    whole: list[float] = []
    for _ in range(n):
        card.transmit(bytes.fromhex("00A4040C0AD3921000310001010402"))
        card.transmit(bytes.fromhex("00200093 0C 313233343536373839303138".replace(" ", "")))
        card.transmit(bytes.fromhex("00A4020C020002"))
        t = time.perf_counter()
        for off in range(0, size, 256):
            card.transmit(bytes((0, 0xB0, off >> 8, off & 0xFF, 0)))
        steps.append(time.perf_counter() - t)
        t = time.perf_counter()
        card.transmit(bytes.fromhex("00B0820000000000"))
        whole.append(time.perf_counter() - t)
    print(f"read card-face EF 0002 in 256-byte steps ({(size + 255) // 256} APDUs): {ms(steps)}")
    print(f"read card-face EF 0002 in one extended READ BINARY: {ms(whole)}")


if __name__ == "__main__":
    main()

"""The cardholder's client software (利用者クライアントソフト): the card over APDUs.

It talks to the card only through ``transmit(apdu) -> response``: a real or virtual card in a
PC/SC reader (``transport.PcscTransport``, pyscard) or a card of the store in-process
(``mynacard.services.vcard.StoreCard``). ``card.JpkiCard`` holds the command sequences;
``signing`` makes CMS, PAdES and XMLDSig/XAdES signatures whose private-key operation is the
card's 80 2A.
"""

from mynacard.client.card import PIN_LOCATIONS, CardAttributes, JpkiCard
from mynacard.client.transport import PcscTransport, ReaderError, Transport, list_readers

__all__ = [
    "PIN_LOCATIONS",
    "CardAttributes",
    "JpkiCard",
    "PcscTransport",
    "ReaderError",
    "Transport",
    "list_readers",
]

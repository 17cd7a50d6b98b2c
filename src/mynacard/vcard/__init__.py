"""Transports that put a virtual card in a PC/SC reader (vsmartcard's vpcd)."""

from mynacard.vcard.vpcd import DEFAULT_HOST, DEFAULT_PORT, Card, VpcdClient, VpcdError

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "Card", "VpcdClient", "VpcdError"]

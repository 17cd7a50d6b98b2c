"""mynacard: Japan's My Number Card (マイナンバーカード) and JPKI (公的個人認証サービス), runnable."""

__version__ = "0.1.0"

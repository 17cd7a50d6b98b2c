"""The services J-LIS offers registered verifiers (署名検証者 / 利用者証明検証者): revocation
status, certificate linkage, the holder's latest basic four attributes with consent, and
revocation notifications to a webhook (see ``service``)."""

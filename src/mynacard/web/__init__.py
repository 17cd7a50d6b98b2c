"""The office service (窓口システム): JSON API, window UI, hotline, OCSP and CRLs."""

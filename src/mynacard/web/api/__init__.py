"""The JSON API: thin endpoints over the services (decode, check, call, encode)."""

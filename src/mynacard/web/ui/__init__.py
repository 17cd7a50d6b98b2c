"""The window UI in Japanese: server-rendered Jinja2 pages with plain forms (no JavaScript)."""

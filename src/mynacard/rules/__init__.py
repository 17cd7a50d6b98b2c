"""The rules of the card and its certificates (docs/rules.md), as pure functions.

Nothing in this package reads the clock, a database or a file: the time is an argument.
"""

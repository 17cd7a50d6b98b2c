"""The ``mynacard`` command line (Typer + Rich)."""

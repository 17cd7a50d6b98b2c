"""The one router of the window's pages (``routes`` and ``ops`` add to it)."""

from fastapi import APIRouter

router = APIRouter()

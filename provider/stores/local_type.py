"""file:///absolute/path: local files. Declared apart from local.py, which imports the HTTP layer's retry of
interrupted reads."""
from __future__ import annotations

from .store_type import StoreType, URLShape

STORE = StoreType(
    scheme="file",
    url=URLShape("path", "file:///absolute/path", path=True),
    implementation=f"{__package__}.local",
)

"""file:///absolute/path: local files. Declared apart from local.py, which imports the HTTP layer's retry of
interrupted reads."""
from __future__ import annotations

from .store_type import Limits, StoreType, URLShape

# Linux: a name up to NAME_MAX (255) bytes, a path up to PATH_MAX (4096) bytes with its terminating NUL.
LIMITS = Limits(max_single_copy=1 << 62, min_part=1, max_part=1 << 62, max_parts=10_000, max_key=4095,
                max_segment=255)

STORE = StoreType(
    scheme="file",
    url=URLShape("path", "file:///absolute/path", path=True),
    implementation=f"{__package__}.local",
    limits=LIMITS,
)

"""The provider's own log, asked for by environment variables because the engine starts the provider process:
OBJECTCOPY_LOG (debug, info, warning; default debug when a file is named) and OBJECTCOPY_LOG_FILE (else stderr,
which the engine keeps in its own logs). Every request and answer is logged with credentials redacted (http.py)."""
from __future__ import annotations

import logging
import os
import sys

_configured = False


def configure_from_environment() -> None:
    global _configured
    level, path = os.environ.get("OBJECTCOPY_LOG"), os.environ.get("OBJECTCOPY_LOG_FILE")
    if _configured or not (level or path):
        return
    _configured = True
    handler: logging.Handler = logging.FileHandler(path) if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger("pulumi_objectcopy")
    logger.setLevel(getattr(logging, (level or "debug").upper(), logging.DEBUG))
    logger.addHandler(handler)

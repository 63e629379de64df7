"""The provider's own log, asked for by environment variables because the engine starts the provider process:
OBJECTCOPY_LOG (debug, info, warning; default debug when a file is named) and OBJECTCOPY_LOG_FILE (else stderr,
which the engine keeps in its own logs). Every request and answer is logged with credentials redacted (http.py)."""
from __future__ import annotations

import logging
import sys

from . import settings
from .errors import ConfigError

_configured = False


def configure_from_environment() -> None:
    """Runs as the provider process starts, before any resource can carry an error: a bad setting is said on
    stderr, which the engine shows, and the provider runs without its log."""
    global _configured
    if _configured:
        return
    _configured = True
    try:
        level, path = settings.log_level(), settings.log_file()
        if level is None and path is None:
            return
        handler: logging.Handler = logging.FileHandler(path) if path else logging.StreamHandler(sys.stderr)
    except (ConfigError, OSError) as e:
        print(f"objectcopy: the provider's log is off: {e}", file=sys.stderr)
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger("pulumi_objectcopy")
    logger.setLevel(level if level is not None else logging.DEBUG)
    logger.addHandler(handler)

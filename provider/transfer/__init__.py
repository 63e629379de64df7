"""Plans and runs copies: a pure planner (plan.py: source, destination, options, limits -> a CopyPlan naming its
method, parts and what must be carried over) and one small executor per method (execute.py), run by copy_object
(copy.py); the parts runner and the uploads' bookkeeping in parts.py, the source's bytes in reading.py.

`from pulumi_objectcopy import transfer; transfer.copy_object(...)` is the entry point for every front end.
"""
from __future__ import annotations

from .copy import CopyResult, copy_object
from .objects import delete_all_versions, delete_if_unchanged, head, location
from .parts import abort_in_flight, abort_stale, confirm_source
from .plan import (SERVER_SIDE_CONCURRENCY, STREAM_CONCURRENCY, STREAM_MAX_PART, STREAM_THRESHOLD, CopyPlan, DestCheck,
                   Method, TransferConfig, plan_copy, plan_parts)
from .reading import Progress

__all__ = [
                   "SERVER_SIDE_CONCURRENCY",
                   "STREAM_CONCURRENCY",
                   "STREAM_MAX_PART",
                   "STREAM_THRESHOLD",
                   "CopyPlan",
                   "CopyResult",
                   "DestCheck",
                   "Method",
                   "Progress",
                   "TransferConfig",
                   "abort_in_flight",
                   "abort_stale",
                   "confirm_source",
                   "copy_object",
                   "delete_all_versions",
                   "delete_if_unchanged",
                   "head",
                   "location",
                   "plan_copy",
                   "plan_parts",
]

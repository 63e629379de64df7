"""The dynamic providers a stack's state holds, pickled by the release that wrote them: which class each one names,
and whether another release's code can load it. `read` and `delete` (refresh, destroy) run the provider found in the
state, so a class the new code cannot load is a stack that can no longer be refreshed or destroyed.

The loading runs in the venv under test, in a subprocess: the test process itself may run other code.
"""
from __future__ import annotations

import base64
import json
import pickletools
import subprocess
from pathlib import Path

PROVIDER_KEY = "__provider"

# Run by the venv's python: blobs on stdin; on stdout, per blob, why it does not load as a provider (or null).
_LOADER = r"""
import base64, json, sys
import dill
from pulumi.dynamic import ResourceProvider
out = []
for blob in json.load(sys.stdin):
    try:
        provider = dill.loads(base64.b64decode(blob))
    except Exception as e:
        out.append(f"{type(e).__name__}: {e}")
        continue
    out.append(None if isinstance(provider, ResourceProvider) else
               f"it loads as {type(provider).__module__}.{type(provider).__qualname__}, not a ResourceProvider")
json.dump(out, sys.stdout)
"""


def provider_blobs(state: dict) -> dict[str, str]:
    """URN -> the pickled provider a refresh or destroy of that resource would run (its outputs' __provider)."""
    return {r["urn"]: r["outputs"][PROVIDER_KEY] for r in state["deployment"]["resources"]
            if PROVIDER_KEY in r.get("outputs", {})}


def named_classes(blob: str) -> list[str]:
    """The module.name of every global a pickled provider refers to (its class first), read from the pickle's
    opcodes without loading anything."""
    strings: list[str] = []
    memo: dict[int, object] = {}
    names = []
    for op, arg, _pos in pickletools.genops(base64.b64decode(blob)):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
            strings.append(arg)
        elif op.name == "MEMOIZE" and strings:
            memo[len(memo)] = strings[-1]
        elif op.name in ("BINGET", "LONG_BINGET", "GET") and isinstance(memo.get(int(arg)), str):
            strings.append(memo[int(arg)])
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            names.append(f"{strings[-2]}.{strings[-1]}")
        elif op.name == "GLOBAL":
            names.append(arg.replace(" ", "."))
    return [n for n in names if not n.startswith(("builtins.", "copyreg.", "dill."))]


def load(venv: Path, blobs: list[str]) -> list[str | None]:
    """Each blob unpickled by `venv`'s code, as the provider process of a refresh or destroy does: why it fails to
    load as a provider, or None."""
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", _LOADER], input=json.dumps(blobs),
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"{venv}/bin/python could not run the provider loader:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def unloadable(state: dict, *, wrote: str, reads: tuple[str, Path]) -> list[str]:
    """One readable line per provider class, pickled into a state written by release `wrote`, that the code of
    `reads` cannot load: the class path the state names, the resources that use it, and what goes wrong."""
    new_name, new_venv = reads
    blobs = provider_blobs(state)
    failed: dict[tuple[str, str], list[str]] = {}
    for (urn, blob), error in zip(blobs.items(), load(new_venv, list(blobs.values()))):
        if error is not None:
            named = ", ".join(named_classes(blob)) or "(no class found in the pickle)"
            failed.setdefault((named, error), []).append(urn.rsplit("::", 1)[-1])
    return [f"the state written by {wrote} names the provider class {named} (pickled by reference, for "
            f"{', '.join(resources)}); {new_name} cannot load it ({error}), so refresh and destroy of every such "
            f"existing resource would fail: keep that class importable at that path"
            for (named, error), resources in failed.items()]

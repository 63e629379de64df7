"""Nothing is buffered (README, "Objects of any size"): a copy in parts streams each part from its source range into
its request, so a process copying 64 MiB parts four at a time holds a few chunks, not 256 MiB. Measured in a child
process (its peak resident set, VmHWM), so nothing else this test run holds is counted."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from pulumi_objectcopy.stores.base import MiB

CHILD = r"""
import json, sys
from pulumi_objectcopy import transfer
from pulumi_objectcopy.stores.base import MiB
from pulumi_objectcopy.transfer import TransferConfig
from pulumi_objectcopy.urls import parse

def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))

src, dst = parse(sys.argv[1]), parse(sys.argv[2])
transfer.head(src)  # the source's MD5 is computed (and cached) before the baseline: it is read in chunks too
before = status("VmRSS")
result = transfer.copy_object(src, dst, config=TransferConfig(multipart_threshold=1, part_size=64 * MiB,
                                                               concurrency=4))
print(json.dumps({"before": before, "peak": status("VmHWM"), "method": result.method, "parts": result.parts}))
"""


def test_a_local_file_copied_in_parts_is_streamed_not_held(backends, key_prefix, tmp_path):
    local, minio = backends("local"), backends("minio")
    block = os.urandom(MiB)
    source = local.root / key_prefix / "big.bin"
    source.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "wb") as f:
        for _ in range(256):
            f.write(block)
    proc = subprocess.run([sys.executable, "-c", CHILD, local.url(key_prefix + "big.bin"),
                           minio.url(key_prefix + "big.bin")], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (seen["method"], seen["parts"]) == ("streamed-multipart", 4)
    growth = seen["peak"] - seen["before"]
    assert growth < 64 * MiB, f"peak RSS grew {growth / MiB:.0f} MiB copying 4 parts of 64 MiB at once"
    assert minio.head(key_prefix + "big.bin")["size"] == 256 * MiB

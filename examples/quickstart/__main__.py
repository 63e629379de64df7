"""Quickstart: seed an environment folder from a golden folder of sample objects.

Needs no account and no server: both ends are file:// URLs. Point `golden` and `env` at s3://, swift:// or any
mix (see examples/s3-seed and examples/swift-seed) and nothing else changes.
"""
from pathlib import Path

import pulumi
from pulumi_objectcopy import CopiedObject

config = pulumi.Config()
here = Path(__file__).resolve().parent
golden = Path(config.get("golden") or here / "golden")
env = Path(config.get("envDir") or here.parent.parent / ".state" / "quickstart" / pulumi.get_stack())

copies = {}
for path in sorted(p for p in golden.rglob("*") if p.is_file()):
    rel = path.relative_to(golden).as_posix()
    copies[rel] = CopiedObject(f"seed-{rel.replace('/', '-')}",
                               source=f"file://{path}",
                               destination=f"file://{env / rel}")

pulumi.export("environment", str(env))
pulumi.export("copies", {rel: pulumi.Output.all(c.size, c.etag, c.method).apply(
    lambda v: f"{v[0]} bytes, etag {v[1]}, {v[2]}") for rel, c in copies.items()})

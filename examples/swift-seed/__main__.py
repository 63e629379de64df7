"""Seed an environment from golden snapshots on OpenStack Swift.

Config: `golden` and `env` are URL prefixes (a profile may be named in them, e.g. swift://PROFILE@golden-snapshots/v42/),
`keys` the objects to copy. Inside one endpoint each copy is server-side; across endpoints it streams.
"""
import pulumi
from pulumi_objectcopy import CopiedObject

config = pulumi.Config()
golden, env = config.require("golden"), config.require("env")
copies = {key: CopiedObject(f"seed-{key.replace('/', '-')}", source=golden + key, destination=env + key)
          for key in config.require_object("keys")}
pulumi.export("copies", {key: pulumi.Output.all(c.etag, c.method).apply(lambda v: f"{v[0]} ({v[1]})")
                         for key, c in copies.items()})

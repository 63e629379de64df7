"""The core's registry: every resource's and function's schema, read without its I/O code (terraform's schema and
validate processes, `pulumi package get-schema` and a Python program's resource classes only describe or validate),
and the same schema the resource itself uses."""
from __future__ import annotations

import subprocess
import sys

from pulumi_objectcopy import core

# What a schema must not bring in: the HTTP client, crypto, the Pulumi SDK, gRPC, and our own I/O layers.
HEAVY = ("requests", "urllib3", "cryptography", "pulumi", "grpc", "pulumi_objectcopy.http",
         "pulumi_objectcopy.transfer", "pulumi_objectcopy.services.epm", "pulumi_objectcopy.services.analytics")


def test_each_schema_is_the_one_its_resource_uses():
    for name in core.RESOURCE_MODULES:
        assert core.resource_schema(name) is core.resource(name).schema, name
    for name in core.FUNCTION_MODULES:
        assert core.function_schema(name) is core.function(name).schema, name
    assert set(core.SCHEMA_MODULES) <= set(core.RESOURCE_MODULES) | set(core.FUNCTION_MODULES)


def test_reading_and_applying_every_schema_imports_no_io():
    """Every schema read, and its rules run over the example URLs of every store (as a plan validates them). The
    secret inputs are left out: a private key given is parsed, which takes cryptography."""
    code = ("import sys\nfrom pulumi_objectcopy import core, stores\n"
            "urls = [stores.store_type(s).url.example for s in stores.STORE_MODULES]\n"
            "for schema in core.resource_schemas().values():\n"
            "    for url in urls:\n"
            "        given = {p.name: url for p in schema.inputs if p.type == 'string' and not p.secret}\n"
            "        schema.validate(schema.with_defaults(given))\n"
            "for schema in core.function_schemas().values():\n"
            "    schema.validate({p.name: urls[0] for p in schema.args})\n"
            f"print(sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in {HEAVY!r})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"

"""A stack made with the dynamic CopiedObject moves to the plugin's with `aliases`: no copy, no delete, no replace
(which would run the destination's delete policy); the first refresh rewrites the state in the plugin's form."""
from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from ..counting_proxy import CountingProxy
from .cli import Project

DYNAMIC = '''
import pulumi
from pulumi_objectcopy import CopiedObject

for name, spec in pulumi.Config().require_object("copies").items():
    CopiedObject(name, **spec)
'''
PLUGIN = '''
import pulumi
from pulumi_objectcopy.plugin import CopiedObject

for name, spec in pulumi.Config().require_object("copies").items():
    CopiedObject(name, **spec, opts=pulumi.ResourceOptions(
        aliases=[pulumi.Alias(type_="pulumi-python:dynamic/objectcopy:CopiedObject")]))
'''


def test_aliases_move_a_dynamic_stack_to_the_plugin_without_a_copy(pulumi_bin, tmp_path, backends, key_prefix):
    minio = backends("minio")
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text(textwrap.dedent(f"""\
        name: move
        runtime:
          name: python
          options:
            virtualenv: {Path(sys.executable).parent.parent}
        """))
    (program / "__main__.py").write_text(DYNAMIC)
    proxy = CountingProxy("http://127.0.0.1:19000")
    try:
        project = Project(pulumi_bin, tmp_path, program, copy=False).stack("dev")
        project.config("objectcopy:profiles", json.dumps({"counted": {
            "scheme": "s3", "endpoint": proxy.url, "provider": "minio", "access_key_id_env": "OC_TEST_MINIO_KEY",
            "secret_access_key_env": "OC_TEST_MINIO_SECRET"}}))
        url = lambda key: f"s3://counted@{minio.bucket}/{key_prefix}{key}"  # noqa: E731
        etag = minio.put(key_prefix + "golden.db", b"golden")
        spec = {"seed": {"source": url("golden.db"), "destination": url("seed.db"), "metadata_directive": "COPY"}}
        project.run("config", "set-all", "--json", json.dumps({"copies": {"value": json.dumps(spec),
                                                                          "objectValue": spec}}))
        project.run("up", "--yes")
        before = project.resource("seed")
        assert before["type"] == "pulumi-python:dynamic/objectcopy:CopiedObject" and "__provider" in before["outputs"]

        (program / "__main__.py").write_text(PLUGIN)
        preview = project.run("preview", "--diff").stdout
        for sign in ("+ objectcopy", "- pulumi-python", "+-", "replace", "delete", "to create", "to update"):
            assert sign not in preview, preview
        proxy.reset()
        project.run("up", "--yes")
        assert proxy.copies() == [], proxy.requests  # no copy, no delete reached the server
        assert minio.head(key_prefix + "seed.db")["etag"] == etag
        moved = project.resource("seed")
        assert moved["type"] == "objectcopy:index:CopiedObject"

        project.run("refresh", "--yes")
        refreshed = project.resource("seed")["outputs"]
        assert "__provider" not in refreshed and "source_etag" not in refreshed
        assert refreshed["sourceEtag"] == etag and refreshed["writtenEtag"] == etag
        project.run("preview", "--expect-no-changes")
    finally:
        proxy.close()

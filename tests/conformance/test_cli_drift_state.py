"""`objectcopy drift --state FILE` on a file that is not a current stack export: one line saying what it is instead,
exit 2, never a traceback; and rows in the same order on every run, whatever order the state lists them in."""
from __future__ import annotations

import hashlib
import json

import pytest

from .test_cli_inputs import cli, refused

TYPE = "pulumi-python:dynamic/objectcopy:CopiedObject"


@pytest.mark.parametrize("text,words", [
    ("", ["empty; write it with `pulumi stack export --file FILE`"]),
    ("  \n", ["empty"]),
    ("{not json", ["not JSON"]),
    ("[1, 2]", ["a JSON list, not a stack export"]),
    ('"state"', ["a JSON str, not a stack export"]),
    ("{}", ["JSON with no 'deployment', not a stack export"]),
    ('{"version": 1, "deployment": {"manifest": {}, "resources": []}}',
     ["a stack export of version 1; drift reads version 3"]),
    ('{"version": 3, "deployment": []}', ["no list of resources"]),
    ('{"version": 3, "deployment": {"resources": {"a": 1}}}', ["no list of resources"]),
    ('{"version": 3, "deployment": {"resources": [42]}}', ["resource 0 is not a resource of a stack export"]),
    ('{"version": 3, "deployment": {"resources": [{"type": "' + TYPE + '"}]}}', ["resource 0 is not a resource"]),
    ('{"version": 3, "deployment": {"resources": [{"urn": "u", "type": "' + TYPE + '", "outputs": []}]}}',
     ["resource 0 is not a resource"]),
])
def test_a_state_file_that_is_not_a_stack_export_is_one_usage_error(tmp_path, text, words):
    state = tmp_path / "state.json"
    state.write_text(text)
    refused(cli("drift", "--state", str(state)), f"--state {state}: ", *words)


def test_rows_come_in_the_same_order_whatever_the_states_order(tmp_path):
    resources = []
    for name in ("zeta", "alpha", "mid", "beta"):
        src, dst = tmp_path / f"{name}.src", tmp_path / f"{name}.dst"
        src.write_bytes(name.encode())
        dst.write_bytes(name.encode())
        etag = hashlib.md5(name.encode()).hexdigest()
        resources.append({"urn": f"urn:pulumi:dev::p::{TYPE}::{name}", "type": TYPE, "outputs": {
            "source": f"file://{src}", "destination": f"file://{dst}", "written_etag": etag, "source_etag": etag}})
    orders = []
    for listed in (resources, resources[::-1], resources[1:] + resources[:1]):
        state = tmp_path / "state.json"
        state.write_text(json.dumps({"version": 3, "deployment": {"resources": listed}}))
        proc = cli("drift", "--state", str(state), "--json")
        assert proc.returncode == 0, proc.stderr
        orders.append([row["name"] for row in json.loads(proc.stdout)])
    assert orders == [["alpha", "beta", "mid", "zeta"]] * 3

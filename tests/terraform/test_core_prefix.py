"""The provider over the core's real CopiedPrefix, in process, on file://: the record of what the resource wrote is
no attribute but the resource's private state, carried by every call that needs it (plan to apply, refresh, a
destroy's plan, a failed apply), and a plan says why the prefix changes as a warning."""
from __future__ import annotations

import json

from pulumi_objectcopy.terraform import values
from pulumi_objectcopy.terraform._proto import tfplugin6_pb2 as pb

from .conftest import dv, shown

TYPE = "objectcopy_copied_prefix"
decode = values.decode


def plan(client, prior, config, private: bytes, proposed="config"):
    return client.stub.PlanResourceChange(pb.PlanResourceChange.Request(
        type_name=TYPE, prior_state=dv(prior), proposed_new_state=dv(config if proposed == "config" else proposed),
        config=dv(config), prior_private=private))


def apply(client, prior, planned, config, private: bytes):
    return client.stub.ApplyResourceChange(pb.ApplyResourceChange.Request(
        type_name=TYPE, prior_state=dv(prior), planned_state=dv(planned), config=dv(config),
        planned_private=private))


def test_the_record_is_private_state_carried_from_plan_to_apply_refresh_and_destroy(core_provider, tmp_path):
    core_provider.type_name = TYPE
    assert "written" not in core_provider.attributes()
    src, dst = tmp_path / "golden", tmp_path / "env"
    src.mkdir()
    for name in ("a.txt", "b.txt"):
        (src / name).write_text(name)
    config = core_provider.config(source=f"file://{src}/", destination=f"file://{dst}/")

    created = apply(core_provider, None, decode(plan(core_provider, None, config, b"").planned_state.msgpack),
                    config, b"")
    state, private = decode(created.new_state.msgpack), created.private
    assert not created.diagnostics and "written" not in state and state["written_count"] == 2
    assert json.loads(private)["written"].startswith("ocr1:")

    refreshed = core_provider.stub.ReadResource(pb.ReadResource.Request(type_name=TYPE, current_state=dv(state),
                                                                        private=private))
    assert decode(refreshed.new_state.msgpack) == state and refreshed.private == private

    (src / "a.txt").write_text("a, changed")
    changed = plan(core_provider, state, config, private)
    assert shown(changed.diagnostics) == [("WARNING", "1 changed: a.txt", [])]
    assert changed.planned_private == private                           # what the apply reads the record from
    (src / "a.txt").write_text("a, changed again after the plan")
    failed = apply(core_provider, state, decode(changed.planned_state.msgpack), config, changed.planned_private)
    assert "changed at the source since it was planned (a.txt)" in shown(failed.diagnostics)[0][1]
    assert decode(failed.new_state.msgpack) == state and failed.private == private  # kept for the next apply

    updated = apply(core_provider, state, decode(plan(core_provider, state, config, private).planned_state.msgpack),
                    config, private)
    assert decode(updated.new_state.msgpack)["last_sync"] == "1 copied, 1 unchanged" and updated.private != private
    assert (dst / "a.txt").read_text() == "a, changed again after the plan"

    state, private = decode(updated.new_state.msgpack), updated.private
    destroy = plan(core_provider, state, config, private, proposed=None)
    assert destroy.planned_private == private
    gone = apply(core_provider, state, None, config, destroy.planned_private)
    assert not gone.diagnostics and not list(dst.iterdir())             # the record said both were its own

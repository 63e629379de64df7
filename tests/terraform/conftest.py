"""The provider served in this process, over its real transport (TLS on a unix socket, as terraform dials it), and
a client that speaks to it the way terraform does: msgpack values, diagnostics read back as a user would see them."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import grpc
import pytest

from pulumi_objectcopy.terraform import server, tls, values
from pulumi_objectcopy.terraform._proto import tfplugin6_pb2 as pb
from pulumi_objectcopy.terraform._proto import grpc_controller_pb2_grpc, tfplugin6_pb2_grpc
from pulumi_objectcopy.terraform.service import ProviderService

from .fake_core import FileCopy, FileInfo

TYPE = "objectcopy_file_copy"


def dv(value: Any) -> pb.DynamicValue:
    return pb.DynamicValue(msgpack=values.encode(value))


def shown(diagnostics) -> list[tuple[str, str, list]]:
    """Each diagnostic as (severity, summary, path steps)."""
    out = []
    for d in diagnostics:
        steps = [s.attribute_name or (s.element_key_string,) for s in d.attribute.steps]
        out.append((pb.Diagnostic.Severity.Name(d.severity), d.summary, steps))
    return out


@dataclass
class Client:
    stub: tfplugin6_pb2_grpc.ProviderStub
    controller: grpc_controller_pb2_grpc.GRPCControllerStub
    resource: Any
    running: server.Running
    type_name: str = TYPE
    capabilities = pb.ClientCapabilities(write_only_attributes_allowed=True)

    def attributes(self) -> list[str]:
        schema = self.stub.GetProviderSchema(pb.GetProviderSchema.Request()).resource_schemas[self.type_name]
        return [a.name for a in schema.block.attributes]

    def config(self, **given: Any) -> dict[str, Any]:
        """A configuration as terraform sends it: every attribute, null where not given, computed ones null."""
        return {name: given.get(name) for name in self.attributes()}

    def validate(self, config: dict, capabilities: pb.ClientCapabilities | None = None):
        return self.stub.ValidateResourceConfig(pb.ValidateResourceConfig.Request(
            type_name=self.type_name, config=dv(config),
            client_capabilities=capabilities or self.capabilities)).diagnostics

    def plan(self, prior: dict | None, config: dict | None, proposed: dict | None = None):
        proposed = proposed if proposed is not None or config is None else _proposed(prior, config)
        return self.stub.PlanResourceChange(pb.PlanResourceChange.Request(
            type_name=self.type_name, prior_state=dv(prior), proposed_new_state=dv(proposed), config=dv(config)))

    def apply(self, prior: dict | None, planned: dict | None, config: dict | None):
        return self.stub.ApplyResourceChange(pb.ApplyResourceChange.Request(
            type_name=self.type_name, prior_state=dv(prior), planned_state=dv(planned), config=dv(config)))

    def read(self, state: dict):
        return self.stub.ReadResource(pb.ReadResource.Request(type_name=self.type_name, current_state=dv(state)))

    def create(self, config: dict) -> dict:
        """plan + apply, as `terraform apply` does for a new resource; returns the new state."""
        planned = self.plan(None, config)
        assert not planned.diagnostics, shown(planned.diagnostics)
        applied = self.apply(None, values.decode(planned.planned_state.msgpack), config)
        assert not applied.diagnostics, shown(applied.diagnostics)
        return values.decode(applied.new_state.msgpack)


def _proposed(prior: dict | None, config: dict) -> dict:
    """Terraform's proposed new state: the configuration, with computed attributes it leaves null taken from the
    prior state."""
    if prior is None:
        return dict(config)
    return {k: (prior.get(k) if v is None else v) for k, v in config.items()}


@contextmanager
def serving(service: ProviderService, resource: Any, type_name: str) -> Iterator[Client]:
    running = server.start(service, tls.Pending(tls.private_folder(), None))  # cryptography's certificate
    creds = grpc.ssl_channel_credentials(root_certificates=running.cert_pem)
    channel = grpc.secure_channel(f"unix:{running.socket}", creds,
                                  options=[("grpc.ssl_target_name_override", "localhost")])
    try:
        yield Client(tfplugin6_pb2_grpc.ProviderStub(channel), grpc_controller_pb2_grpc.GRPCControllerStub(channel),
                     resource, running, type_name)
    finally:
        channel.close()
        running.close()


@pytest.fixture
def provider():
    """The provider over FileCopy, a resource of the tests' own with the core's contract."""
    resource = FileCopy()
    with serving(ProviderService(registry=lambda: ({"FileCopy": resource}, {"getFile": FileInfo()})), resource,
                 TYPE) as client:
        yield client


@pytest.fixture
def core_provider():
    """The provider over the core's own registry (CopiedObject, getObject)."""
    with serving(ProviderService(), None, "objectcopy_copied_object") as client:
        yield client

"""Drive the plugin's gRPC servicer in process, as the engine would: proto requests in, proto answers out, through
the SDK's own marshalling (so the wire form of unknowns and secrets is what is tested)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from pulumi_objectcopy.plugin.engine import EngineLog
from pulumi_objectcopy.plugin.provider import ObjectCopyProvider
from pulumi_objectcopy.plugin.server import Servicer

UNKNOWN = "[unknown]"


@dataclass(frozen=True)
class Secret:
    value: Any


class Aborted(Exception):
    def __init__(self, code: Any, details: str):
        super().__init__(details)
        self.code, self.details = code, details


class Context:
    async def abort(self, code: Any, details: str) -> None:
        raise Aborted(code, details)


def encode(value: Any) -> PropertyValue:
    if isinstance(value, Secret):
        return encode(value.value).with_secret(True)
    if value == UNKNOWN:
        return PropertyValue(rpc.UNKNOWN)
    if isinstance(value, dict):
        return PropertyValue({k: encode(v) for k, v in value.items()})
    if isinstance(value, list):
        return PropertyValue([encode(v) for v in value])
    if isinstance(value, int) and not isinstance(value, bool):
        return PropertyValue(float(value))
    return PropertyValue(value)


def struct(props: dict[str, Any] | None) -> Any:
    return PropertyValue.marshal_map({k: encode(v) for k, v in (props or {}).items()})


def decode_value(pv: PropertyValue) -> Any:
    if pv.value == rpc.UNKNOWN:
        out: Any = UNKNOWN
    elif isinstance(pv.value, tuple):
        out = [decode_value(v) for v in pv.value]
    elif hasattr(pv.value, "items"):
        out = {k: decode_value(v) for k, v in pv.value.items()}
    else:
        out = pv.value
    return Secret(out) if pv.is_secret else out


def decode(message: Any) -> dict[str, Any]:
    return {k: decode_value(v) for k, v in PropertyValue.unmarshal_map(message).items()}


class Plugin:
    def __init__(self, resources: dict, functions: dict, *, project: str = "proj"):
        self.engine = EngineLog(None)
        self.configured: list[tuple[Any, Any]] = []
        self.provider = ObjectCopyProvider(lambda: (resources, functions), version="0.1.0", engine=self.engine,
                                           configure_core=lambda profiles, config: self.configured.append(
                                               (profiles, config)))
        self.servicer = Servicer([], "0.1.0", self.provider, engine_address="")
        self.project = project

    def urn(self, name: str, token: str) -> str:
        return f"urn:pulumi:dev::{self.project}::{token}::{name}"

    def call(self, rpc_name: str, request: Any) -> Any:
        return asyncio.run(getattr(self.servicer, rpc_name)(request, Context()))

    def check(self, urn: str, news: dict, olds: dict | None = None) -> tuple[dict, list[tuple[str, str]]]:
        r = self.call("Check", provider_pb2.CheckRequest(urn=urn, olds=struct(olds), news=struct(news)))
        return decode(r.inputs), [(f.property, f.reason) for f in r.failures]

    def diff(self, urn: str, id: str, olds: dict, news: dict, ignore: list[str] = (),
             old_inputs: dict | None = None) -> Any:
        return self.call("Diff", provider_pb2.DiffRequest(urn=urn, id=id, olds=struct(olds), news=struct(news),
                                                          ignoreChanges=list(ignore), old_inputs=struct(old_inputs)))

    def create(self, urn: str, props: dict, preview: bool = False) -> tuple[str, dict]:
        r = self.call("Create", provider_pb2.CreateRequest(urn=urn, properties=struct(props), preview=preview))
        return r.id, decode(r.properties)

    def update(self, urn: str, id: str, olds: dict, news: dict, preview: bool = False) -> dict:
        r = self.call("Update", provider_pb2.UpdateRequest(urn=urn, id=id, olds=struct(olds), news=struct(news),
                                                           preview=preview))
        return decode(r.properties)

    def read(self, urn: str, id: str, props: dict | None = None, inputs: dict | None = None) -> tuple[str, dict, dict]:
        r = self.call("Read", provider_pb2.ReadRequest(urn=urn, id=id, properties=struct(props),
                                                       inputs=struct(inputs)))
        return r.id, decode(r.properties), decode(r.inputs)

    def delete(self, urn: str, id: str, props: dict) -> None:
        self.call("Delete", provider_pb2.DeleteRequest(urn=urn, id=id, properties=struct(props)))

    def invoke(self, tok: str, args: dict) -> Any:
        return self.call("Invoke", provider_pb2.InvokeRequest(tok=tok, args=struct(args)))

    def configure(self, args: dict, variables: dict | None = None) -> Any:
        return self.call("Configure", provider_pb2.ConfigureRequest(args=struct(args), variables=variables or {},
                                                                    acceptSecrets=True))

    def warnings(self, urn: str) -> list[str]:
        return [m for severity, m, u in self.engine.sent if severity == "warning" and u == urn]

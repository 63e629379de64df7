"""A stand-in for the Pulumi engine: drives `python -m pulumi.dynamic` over its gRPC protocol the way the engine
does (see ../shared/specs/engine.md §2): Configure first, olds = outputs for Diff and Update, secrets stripped from
CRUD payloads, no Create/Update during a preview, an empty Read id means the resource is gone."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

PROJECT = "objectcopy-test"
URN = f"urn:pulumi:dev::{PROJECT}::pulumi-python:dynamic/objectcopy:CopiedObject::copy"


def ser(props: dict[str, Any]) -> struct_pb2.Struct:
    return asyncio.run(rpc.serialize_properties(props, {}))


def de(struct: struct_pb2.Struct) -> dict[str, Any]:
    return rpc.deserialize_properties(struct, keep_unknowns=True)


@dataclass
class Resource:
    """What the engine keeps in state for one resource."""
    id: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


class Engine:
    def __init__(self, provider, *, config: dict[str, Any] | None = None, env: dict[str, str] | None = None):
        blob, _ = _serialize(True, serialize_provider, provider)
        self.blob = blob
        self.proc = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.dynamic"], stdout=subprocess.PIPE,
                                     env={**os.environ, "PULUMI_PROJECT": PROJECT, **(env or {})})
        port = int(self.proc.stdout.readline())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self.channel).result(timeout=15)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        args = {f"{PROJECT}:{k}" if ":" not in k else k: v for k, v in (config or {}).items()}
        self.stub.Configure(provider_pb2.ConfigureRequest(args=ser(args), acceptSecrets=True))

    def close(self) -> None:
        self.channel.close()
        self.proc.kill()
        self.proc.wait()

    def _with_provider(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "__provider": self.blob}

    # --- the RPCs, in the engine's terms ---------------------------------------------------------------------
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        resp = self.stub.Check(provider_pb2.CheckRequest(urn=URN, olds=ser(olds), news=ser(self._with_provider(news))))
        return de(resp.inputs), [(f.property, f.reason) for f in resp.failures]

    def diff(self, res: Resource, news: dict[str, Any]) -> provider_pb2.DiffResponse:
        return self.stub.Diff(provider_pb2.DiffRequest(id=res.id, urn=URN, olds=ser(res.outputs), news=ser(news),
                                                       old_inputs=ser(res.inputs)))

    def create(self, inputs: dict[str, Any]) -> Resource:
        resp = self.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=ser(inputs)))
        return Resource(resp.id, inputs, de(resp.properties))

    def update(self, res: Resource, news: dict[str, Any]) -> Resource:
        resp = self.stub.Update(provider_pb2.UpdateRequest(id=res.id, urn=URN, olds=ser(res.outputs),
                                                           news=ser(news), old_inputs=ser(res.inputs)))
        return Resource(res.id, news, de(resp.properties))

    def read(self, res: Resource) -> Resource | None:
        resp = self.stub.Read(provider_pb2.ReadRequest(id=res.id, urn=URN, properties=ser(res.outputs),
                                                       inputs=ser(res.inputs)))
        if not resp.id:
            return None
        return Resource(resp.id, de(resp.inputs) if resp.HasField("inputs") else res.inputs, de(resp.properties))

    def delete(self, res: Resource) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(id=res.id, urn=URN, properties=ser(res.outputs)))

    # --- what `pulumi up` / `preview` do for one resource --------------------------------------------------
    def preview(self, res: Resource | None, program: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """('create' | 'same' | 'update' | 'replace', checked inputs). Raises on check failures."""
        inputs, failures = self.check(res.inputs if res else {}, program)
        if failures:
            raise CheckFailed(failures)
        if res is None:
            return "create", inputs
        d = self.diff(res, inputs)
        if d.changes != provider_pb2.DiffResponse.DIFF_SOME:
            return "same", inputs
        return ("replace" if d.replaces else "update"), inputs

    def up(self, res: Resource | None, program: dict[str, Any]) -> tuple[str, Resource]:
        step, inputs = self.preview(res, program)
        if step == "create":
            return step, self.create(inputs)
        if step == "update":
            return step, self.update(res, inputs)
        if step == "replace":  # create-before-delete, as the engine does without deleteBeforeReplace
            new = self.create(inputs)
            self.delete(res)
            return step, new
        return step, Resource(res.id, inputs, res.outputs)


class CheckFailed(Exception):
    def __init__(self, failures):
        super().__init__("; ".join(f"{p}: {r}" for p, r in failures))
        self.failures = failures

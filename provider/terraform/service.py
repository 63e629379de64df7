"""The tfplugin6 Provider service: a thin adapter over the core registry. Each call decodes terraform's values,
asks adapter.py, and encodes the answer; whatever goes wrong comes back as diagnostics."""
from __future__ import annotations

import functools
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .. import core
from ..core.api import Context
from ..core.schema import FunctionSchema
from . import diagnostics as diag
from . import tflog
from ._proto import tfplugin6_pb2 as pb
from ._proto import tfplugin6_pb2_grpc
from .adapter import ID, ResourceAdapter, read_data_source, write_only
from .values import decode, encode, holds_unknown


class Calls:
    """The core Contexts of the calls in flight, so that StopProvider (terraform's Ctrl-C) cancels them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[int, Context] = {}  # by id(): a Context is not hashable
        self.stopped = threading.Event()

    @contextmanager
    def context(self, address: str) -> Iterator[Context]:
        ctx = Context(log=tflog.resource_logger(address), progress=tflog.Progress(address))
        with self._lock:
            if self.stopped.is_set():
                ctx.cancelled.set()
            self._live[id(ctx)] = ctx
        try:
            yield ctx
        finally:
            with self._lock:
                self._live.pop(id(ctx), None)

    def stop(self) -> None:
        with self._lock:
            self.stopped.set()
            for ctx in self._live.values():
                ctx.cancelled.set()


def answers(response: Callable[..., Any], what: str, keep: Callable[[Any], dict] = lambda request: {}) -> Callable:
    """The call's answer, or `response(diagnostics=..., **keep(request))` for whatever it raised."""
    def wrap(method: Callable) -> Callable:
        @functools.wraps(method)
        def call(self: "ProviderService", request: Any, context: Any) -> Any:
            try:
                self.load()  # waits for the preload: two threads importing the same modules can deadlock
                return method(self, request, context)
            except Exception as e:  # noqa: BLE001 - every failure becomes a diagnostic
                doing = " ".join(filter(None, (what, getattr(request, "type_name", ""))))
                return response(diagnostics=diag.from_exception(e, doing), **keep(request))
        return call
    return wrap


@dataclass(frozen=True)
class DataSource:
    schema: FunctionSchema
    load: Callable[[], core.Function]


class ProviderService(tfplugin6_pb2_grpc.ProviderServicer):
    def __init__(self, calls: Calls | None = None, registry: Callable[[], tuple[dict, dict]] | None = None):
        """`registry` returns (resources, functions) by name, for a test's own; else the core's, whose schemas are
        read first and whose code is imported when a call needs it (terraform starts a process to ask for the
        schema alone, and another to validate)."""
        self.calls = calls or Calls()
        self.registry = registry
        self._lock = threading.Lock()
        self._code_lock = threading.Lock()
        self._resources: dict[str, ResourceAdapter] | None = None
        self._functions: dict[str, DataSource] | None = None

    # --- the registry: schemas on first use, each resource's code when a call first needs it -------------------
    def load(self) -> None:
        with self._lock:
            if self._resources is None:
                from . import provider_config, tfschema  # noqa: F401 - imported here, once, for every call
                self._resources, self._functions = self._given() if self.registry else self._core()

    def _given(self) -> tuple[dict[str, ResourceAdapter], dict[str, DataSource]]:
        assert self.registry is not None
        resources, functions = self.registry()
        return ({r.schema.terraform_type: ResourceAdapter(r.schema, _given(r)) for r in resources.values()},
                {f.schema.terraform_type: DataSource(f.schema, _given(f)) for f in functions.values()})

    def _core(self) -> tuple[dict[str, ResourceAdapter], dict[str, DataSource]]:
        return ({s.terraform_type: ResourceAdapter(s, functools.partial(self._code, core.resource, name))
                 for name, s in core.resource_schemas().items()},
                {s.terraform_type: DataSource(s, functools.partial(self._code, core.function, name))
                 for name, s in core.function_schemas().items()})

    def _code(self, get: Callable[[str], Any], name: str) -> Any:
        with self._code_lock:  # one import at a time: two threads importing the same modules can deadlock
            return get(name)

    def preload(self) -> None:
        """Read the schemas while terraform is busy elsewhere (every process needs them); a failure shows on the
        call that needs them."""
        try:
            self.load()
        except Exception:  # noqa: BLE001
            pass

    @property
    def resources(self) -> dict[str, ResourceAdapter]:
        self.load()
        assert self._resources is not None
        return self._resources

    @property
    def functions(self) -> dict[str, DataSource]:
        self.load()
        assert self._functions is not None
        return self._functions

    def adapter(self, type_name: str) -> ResourceAdapter:
        try:
            return self.resources[type_name]
        except KeyError:
            raise core_usage(f"this provider has no resource type {type_name!r}") from None

    # --- what the provider is ------------------------------------------------------------------------------------
    @staticmethod
    def capabilities() -> pb.ServerCapabilities:
        return pb.ServerCapabilities(plan_destroy=True, get_provider_schema_optional=True)

    @answers(pb.GetMetadata.Response, "GetMetadata")
    def GetMetadata(self, request, context):
        return pb.GetMetadata.Response(
            server_capabilities=self.capabilities(),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=t) for t in self.resources],
            data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=t) for t in self.functions])

    @answers(pb.GetProviderSchema.Response, "GetProviderSchema")
    def GetProviderSchema(self, request, context):
        from . import tfschema
        return pb.GetProviderSchema.Response(
            provider=tfschema.provider_schema(), server_capabilities=self.capabilities(),
            resource_schemas={t: tfschema.resource_schema(a.schema) for t, a in self.resources.items()},
            data_source_schemas={t: tfschema.data_source_schema(d.schema) for t, d in self.functions.items()})

    def GetResourceIdentitySchemas(self, request, context):
        return pb.GetResourceIdentitySchemas.Response()

    def GetFunctions(self, request, context):
        return pb.GetFunctions.Response()

    # --- the provider block --------------------------------------------------------------------------------------
    @answers(pb.ValidateProviderConfig.Response, "ValidateProviderConfig")
    def ValidateProviderConfig(self, request, context):
        from . import provider_config
        profiles = (decode(request.config.msgpack) or {}).get("profiles")
        if holds_unknown(profiles):
            return pb.ValidateProviderConfig.Response()
        return pb.ValidateProviderConfig.Response(diagnostics=[
            diag.error(line, at=diag.path("profiles", (name,), field))
            for name, field, line in provider_config.problems(profiles)])

    @answers(pb.ConfigureProvider.Response, "ConfigureProvider")
    def ConfigureProvider(self, request, context):
        from . import provider_config
        profiles = (decode(request.config.msgpack) or {}).get("profiles")
        if holds_unknown(profiles):
            return pb.ConfigureProvider.Response(diagnostics=[diag.error(
                "profiles must be known before the plan: it cannot depend on a resource's outputs",
                at=diag.path("profiles"))])
        core.configure(profiles=provider_config.settings(profiles))
        return pb.ConfigureProvider.Response()

    # --- managed resources ---------------------------------------------------------------------------------------
    @answers(pb.ValidateResourceConfig.Response, "ValidateResourceConfig")
    def ValidateResourceConfig(self, request, context):
        adapter = self.adapter(request.type_name)
        config = decode(request.config.msgpack) or {}
        schema = adapter.schema
        found = diag.failures(schema.validate(schema.with_defaults(adapter.core_inputs(config))))
        if not request.client_capabilities.write_only_attributes_allowed:
            found += [diag.error(f"{p.name}: this Terraform cannot keep a secret out of state (write-only "
                                 "attributes need Terraform 1.11 or later, or OpenTofu 1.11 or later)",
                                 at=diag.path(p.name))
                      for p in schema.inputs if write_only(p) and config.get(p.name) is not None]
        return pb.ValidateResourceConfig.Response(diagnostics=found)

    @answers(pb.UpgradeResourceState.Response, "UpgradeResourceState")
    def UpgradeResourceState(self, request, context):
        from .tfschema import SCHEMA_VERSION
        adapter = self.adapter(request.type_name)
        if request.version > SCHEMA_VERSION:
            raise core_usage(f"this state was written by a newer terraform-provider-objectcopy (schema version "
                             f"{request.version}); upgrade the provider")
        raw = json.loads(request.raw_state.json or b"{}")
        return pb.UpgradeResourceState.Response(upgraded_state=pb.DynamicValue(msgpack=encode(adapter.upgrade(raw))))

    @answers(pb.PlanResourceChange.Response, "PlanResourceChange")
    def PlanResourceChange(self, request, context):
        adapter = self.adapter(request.type_name)
        prior = adapter.with_private(decode(request.prior_state.msgpack), request.prior_private)
        proposed = decode(request.proposed_new_state.msgpack)
        if proposed is None:  # a destroy: its apply gets the private state through planned_private
            return pb.PlanResourceChange.Response(planned_state=pb.DynamicValue(msgpack=encode(None)),
                                                  planned_private=request.prior_private)
        planned = adapter.plan(prior, decode(request.config.msgpack) or {})
        if planned.failures:
            return pb.PlanResourceChange.Response(diagnostics=diag.failures(planned.failures))
        # Why it changes, where no attribute can say ("1 changed, 1 new: db/a.sql, ..."): terraform shows a
        # provider's diagnostics, and of those only warnings and errors.
        return pb.PlanResourceChange.Response(
            planned_state=pb.DynamicValue(msgpack=encode(planned.state)), planned_private=request.prior_private,
            requires_replace=[diag.path(name) for name in planned.replaces], diagnostics=diag.warnings(planned.reasons))

    # A failed update or delete keeps the prior state (terraform would take a null one for "gone") and its private
    # state, so the object stays in state for the next apply to retry; a failed create has no prior state, and
    # leaves nothing. The prior's private state comes as planned_private (the plan passes it on).
    @answers(pb.ApplyResourceChange.Response, "ApplyResourceChange",
             keep=lambda r: {"new_state": r.prior_state, "private": r.planned_private})
    def ApplyResourceChange(self, request, context):
        adapter = self.adapter(request.type_name)
        prior = adapter.with_private(decode(request.prior_state.msgpack), request.planned_private)
        planned = decode(request.planned_state.msgpack)
        config = decode(request.config.msgpack) or {}
        address = _address(adapter, planned or prior)
        with self.calls.context(address) as ctx:
            outcome = adapter.apply(prior, planned, config, ctx)
        return pb.ApplyResourceChange.Response(new_state=pb.DynamicValue(msgpack=encode(outcome.state)),
                                               private=outcome.private, diagnostics=diag.warnings(outcome.warnings))

    @answers(pb.ReadResource.Response, "ReadResource",
             keep=lambda r: {"new_state": r.current_state, "private": r.private})
    def ReadResource(self, request, context):
        adapter = self.adapter(request.type_name)
        prior = adapter.with_private(decode(request.current_state.msgpack), request.private)
        if prior is None:
            return pb.ReadResource.Response(new_state=request.current_state, private=request.private)
        with self.calls.context(_address(adapter, prior)) as ctx:
            outcome = adapter.read(prior, ctx)
        return pb.ReadResource.Response(new_state=pb.DynamicValue(msgpack=encode(outcome.state)),
                                        private=outcome.private, diagnostics=diag.warnings(outcome.warnings))

    @answers(pb.ImportResourceState.Response, "ImportResourceState")
    def ImportResourceState(self, request, context):
        adapter = self.adapter(request.type_name)
        with self.calls.context(f"{request.type_name} {request.id}") as ctx:
            outcome = adapter.import_(request.id, ctx)
        imported = pb.ImportResourceState.ImportedResource(
            type_name=request.type_name, state=pb.DynamicValue(msgpack=encode(outcome.state)), private=outcome.private)
        return pb.ImportResourceState.Response(imported_resources=[imported],
                                               diagnostics=diag.warnings(outcome.warnings))

    # --- data sources --------------------------------------------------------------------------------------------
    @answers(pb.ValidateDataResourceConfig.Response, "ValidateDataResourceConfig")
    def ValidateDataResourceConfig(self, request, context):
        if request.type_name not in self.functions:
            raise core_usage(f"this provider has no data source {request.type_name!r}")
        return pb.ValidateDataResourceConfig.Response()

    @answers(pb.ReadDataSource.Response, "ReadDataSource")
    def ReadDataSource(self, request, context):
        source = self.functions.get(request.type_name)
        if source is None:
            raise core_usage(f"this provider has no data source {request.type_name!r}")
        with self.calls.context(request.type_name) as ctx:
            state = read_data_source(source.load(), decode(request.config.msgpack) or {}, ctx)
        return pb.ReadDataSource.Response(state=pb.DynamicValue(msgpack=encode(state)))

    # --- Ctrl-C --------------------------------------------------------------------------------------------------
    def StopProvider(self, request, context):
        self.stop()
        return pb.StopProvider.Response()

    def stop(self) -> None:
        """Cancel every call in flight, and those still to come."""
        self.calls.stop()


def _address(adapter: ResourceAdapter, state: Any) -> str:
    """How the log names a resource: its id, or before it has one the input that places it (a destination)."""
    state = state if isinstance(state, dict) else {}
    names = [ID] + [p.name for p in adapter.schema.inputs if p.replaces]
    label = next((state[n] for n in names if isinstance(state.get(n), str)), "")
    return f"{adapter.schema.terraform_type} {label}".strip()


def _given(value: Any) -> Callable[[], Any]:
    return lambda: value


def core_usage(message: str) -> Exception:
    from ..errors import UsageError
    return UsageError(message)

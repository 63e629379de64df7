"""The provider plugin: Pulumi's calls (pulumi.provider.experimental) translated to the core's, and nothing else.

Every decision is the core's (provider/core): this module converts names and values (values.py), runs the core's
blocking work off the event loop, attaches the core's warnings to the resource, and turns the core's errors into
one line naming the property as the user typed it.
"""
from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, TypeVar

import pulumi.provider.experimental.provider as p
from pulumi.provider.experimental.property_value import PropertyValue

from ..core.api import Context, Failure, Function, Resource, is_unknown
from ..core.drift_inputs import drift_seen, restore_plan
from ..core.schema import Prop
from ..errors import ConfigError, ObjectCopyError
from . import values
from .engine import EngineLog
from .schema import package_schema
from .values import Names, from_core, to_core

T = TypeVar("T")
# The old inputs of the Diff call in progress (its task's): the SDK's DiffRequest does not carry them (server.py).
OLD_INPUTS: ContextVar[Mapping[str, PropertyValue]] = ContextVar("old_inputs", default=MappingProxyType({}))
Registry = tuple[Mapping[str, Resource], Mapping[str, Function]]
# Enough threads for the engine's parallel calls (4 x cores by default); requests in flight are capped by http.py.
WORKERS = 32


class PluginError(Exception):
    """A failure the user can act on, already worded for a Pulumi user: the servicer sends its text alone."""


class ObjectCopyProvider(p.Provider):
    def __init__(self, registry: Callable[[], Registry], *, version: str, engine: EngineLog,
                 configure_core: Callable[..., None]):
        """`registry` gives the resources and functions by name (core.resources(), core.functions()); it is
        called at the first call that needs them, so the process serves before the resources' code is loaded."""
        self.version = version
        self.engine = engine
        self._registry = registry
        self._loaded: tuple[dict[str, Resource], dict[str, Function], dict[str, Names]] | None = None
        self._load_lock = threading.Lock()
        self._configure_core = configure_core
        self._cancelled = threading.Event()
        self._reasons: dict[str, str] = {}  # URN -> why its last diff plans a change, for _say_why
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="objectcopy")
        self.on_configure: Callable[[], None] = lambda: None

    # --- plumbing ------------------------------------------------------------------------------------------
    def _tables(self) -> tuple[dict[str, Resource], dict[str, Function], dict[str, Names]]:
        with self._load_lock:
            if self._loaded is None:
                resources, functions = self._registry()
                by_token = {r.schema.pulumi_token: r for r in resources.values()}
                fn_by_token = {f.schema.pulumi_token: f for f in functions.values()}
                names = {t: Names(r.schema.props) for t, r in by_token.items()}
                names.update({t: Names((*f.schema.args, *f.schema.results)) for t, f in fn_by_token.items()})
                self._loaded = by_token, fn_by_token, names
            return self._loaded

    def _resource(self, urn: str) -> tuple[Resource, Names]:
        resources, _, names = self._tables()
        token = urn.split("::")[-2].rsplit("$", 1)[-1]
        if token not in resources:
            raise PluginError(f"{token}: not a resource of the objectcopy provider (it has "
                              f"{', '.join(sorted(resources))})")
        return resources[token], names[token]

    def _context(self, urn: str) -> Context:
        return Context(log=lambda level, message: self.engine.log(level, message, urn),
                       progress=self.engine.progress(urn), cancelled=self._cancelled)

    async def _run(self, names: Names, fn: Callable[..., T], *args: Any) -> T:
        """The core's blocking work in a worker thread; its errors as one line in the user's names."""
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        except ObjectCopyError as e:
            raise PluginError(names.user_words(str(e))) from None

    def _warn(self, urn: str, warnings: tuple[str, ...], names: Names) -> None:
        for message in warnings:
            self.engine.log("warning", names.user_words(message), urn)

    def _say_why(self, urn: str) -> None:
        """The reasons the last diff of this resource gave (a destination edited by hand, a changed source, a BAR
        replaced), as a line under the resource: said by the update or the replacement's create (preview too),
        not by diff, which the engine runs before it prints the resource's property diff, and at every refresh."""
        reasons = self._reasons.pop(urn, None)
        if reasons:
            self.engine.log("info", reasons, urn)

    # --- provider configuration ----------------------------------------------------------------------------
    async def get_schema(self, request: p.GetSchemaRequest) -> p.GetSchemaResponse:
        resources, functions, _ = self._tables()
        schema = package_schema([r.schema for r in resources.values()], [f.schema for f in functions.values()],
                                version=self.version)
        return p.GetSchemaResponse(schema=json.dumps(schema))

    async def check_config(self, request: p.CheckRequest) -> p.CheckResponse:
        profiles = request.new_inputs.get("profiles")
        try:
            _profiles(values.to_plain(profiles) if profiles is not None else None)
        except ConfigError as e:
            return p.CheckResponse(inputs=request.new_inputs, failures=[p.CheckFailure("profiles", str(e))])
        return p.CheckResponse(inputs=request.new_inputs)

    async def configure(self, request: p.ConfigureRequest) -> p.ConfigureResponse:
        config = {k: values.to_plain(v) for k, v in request.args.items()}
        if not config:  # an engine that sends only variables: `objectcopy:config:profiles` -> profiles
            config = {k.rsplit(":", 1)[-1]: v for k, v in request.variables.items()}
        profiles = config.pop("profiles", None)
        try:
            self._configure_core(_profiles(profiles), {k: v if isinstance(v, str) else json.dumps(v)
                                                       for k, v in config.items() if not is_unknown(v)})
        except ObjectCopyError as e:
            raise PluginError(str(e)) from None
        self.on_configure()
        # Secrets arrive marked and are kept secret in what the plugin returns; preview calls create and update,
        # so a plan shows the outputs the core knows (a new copy's sourceEtag).
        return p.ConfigureResponse(accept_secrets=True, supports_preview=True, accept_resources=False,
                                   accept_outputs=False)

    async def cancel(self) -> None:
        self._cancelled.set()

    # --- resources -----------------------------------------------------------------------------------------
    async def check(self, request: p.CheckRequest) -> p.CheckResponse:
        resource, names = self._resource(request.urn)
        news, secret = to_core(request.new_inputs, names)
        olds = to_core(request.old_inputs, names)[0] if request.old_inputs else None
        result = await self._run(names, resource.check, news, olds)
        failures = result.failures
        if olds is not None and request.old_inputs == request.new_inputs:
            # The engine checks the inputs a read recorded against themselves only after `pulumi import`: what the
            # import could not see (credentials) is absent, and the program gives it; that program's own check
            # judges it. What the import did record is judged here as ever.
            failures = tuple(f for f in failures if news.get(f.property) is not None)
        inputs = {**result.inputs, **restore_plan(olds or {})}  # a drift the last refresh saw (core/drift_inputs.py)
        return p.CheckResponse(inputs=from_core(inputs, names, secret), failures=_failures(failures, names))

    async def diff(self, request: p.DiffRequest) -> p.DiffResponse:
        resource, names = self._resource(request.urn)
        state = to_core(request.old_state, names)[0]
        inputs = to_core(request.new_inputs, names)[0]
        result = await self._run(names, resource.diff, request.resource_id, state, inputs)
        ignored = {names.snake.get(k, k) for k in request.ignore_changes}
        replaces = [n for n in result.replaces if n not in ignored]
        changed = [n for n in result.properties if n not in ignored]
        old_inputs = to_core(OLD_INPUTS.get(), names)[0]
        detailed = {names.camel.get(n, n): p.PropertyDiff(
            p.PropertyDiffKind.UPDATE_REPLACE if n in replaces else p.PropertyDiffKind.UPDATE,
            input_diff=_input_diff(names.props.get(n), old_inputs, inputs)) for n in changed}
        self._reasons[request.urn] = names.user_words("; ".join(
            c.reason for c in result.changes if c.reason and c.property not in ignored))
        return p.DiffResponse(changes=bool(changed), replaces=[names.camel.get(n, n) for n in replaces],
                              delete_before_replace=result.delete_before_replace and bool(replaces),
                              diffs=list(detailed), detailed_diff=detailed)

    async def create(self, request: p.CreateRequest) -> p.CreateResponse:
        resource, names = self._resource(request.urn)
        inputs, secret = to_core(request.properties, names)
        self._say_why(request.urn)  # a replacement's
        if request.preview:
            planned = await self._run(names, resource.plan, None, inputs)
            return p.CreateResponse(resource_id="", properties=from_core(planned, names, secret))
        applied = await self._run(names, resource.create, inputs, self._context(request.urn))
        self._warn(request.urn, applied.warnings, names)
        return p.CreateResponse(resource_id=applied.id, properties=from_core(applied.state, names, secret))

    async def update(self, request: p.UpdateRequest) -> p.UpdateResponse:
        resource, names = self._resource(request.urn)
        state = to_core(request.olds, names)[0]
        inputs, secret = to_core(request.news, names)
        self._say_why(request.urn)
        if request.preview:
            planned = await self._run(names, resource.plan, state, inputs)
            return p.UpdateResponse(properties=from_core(planned, names, secret))
        applied = await self._run(names, resource.update, request.resource_id, state, inputs,
                                  self._context(request.urn))
        self._warn(request.urn, applied.warnings, names)
        return p.UpdateResponse(properties=from_core(applied.state, names, secret))

    async def read(self, request: p.ReadRequest) -> p.ReadResponse:
        resource, names = self._resource(request.urn)
        ctx = self._context(request.urn)
        if not request.properties and not request.inputs:  # `pulumi import` / the `import` option: only an id
            result = await self._run(names, resource.import_, request.resource_id, ctx)
            secret: set[str] = set()
        else:  # a refresh; state the dynamic provider wrote is read as well, and comes back in the plugin's form
            state, secret = to_core(request.properties, names)
            secret |= to_core(request.inputs, names)[1]
            result = await self._run(names, resource.read, request.resource_id, state, ctx)
        self._warn(request.urn, result.warnings, names)
        if not result.id:
            return p.ReadResponse(resource_id="")
        inputs = {**result.inputs, **drift_seen(result.state)}  # what check plans a restore from (drift_inputs.py)
        return p.ReadResponse(resource_id=result.id, properties=from_core(result.state, names, secret),
                              inputs=from_core(inputs, names, secret))

    async def delete(self, request: p.DeleteRequest) -> None:
        resource, names = self._resource(request.urn)
        state = to_core(request.properties, names)[0]
        warnings = await self._run(names, resource.delete, request.resource_id, state, self._context(request.urn))
        self._warn(request.urn, tuple(warnings), names)

    # --- functions -----------------------------------------------------------------------------------------
    async def invoke(self, request: p.InvokeRequest) -> p.InvokeResponse:
        _, functions, all_names = self._tables()
        function = functions.get(request.tok)
        if function is None:
            raise PluginError(f"{request.tok}: not a function of the objectcopy provider (it has "
                              f"{', '.join(sorted(functions)) or 'none'})")
        names = all_names[request.tok]
        args = to_core(request.args, names)[0]
        checked = await self._run(names, function.check, args)
        if checked.failures:
            return p.InvokeResponse(failures=_failures(checked.failures, names))
        result = await self._run(names, function.call, checked.inputs, Context(cancelled=self._cancelled))
        return p.InvokeResponse(return_value=from_core(result, names))


def _failures(failures: Iterable[Failure], names: Names) -> list[p.CheckFailure]:
    """The core's failures on the properties as the user named them."""
    return [p.CheckFailure(names.camel.get(f.property, f.property), names.user_words(f.reason)) for f in failures]


def _input_diff(prop: Prop | None, old_inputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> bool:
    """Whether the engine shows a property's change as old input => new input (True) or as the state's output =>
    new input. An input's change is its inputs'. A planned output (a source's ETag, a BAR's) changes either as its
    plan moved (old input => new input: `~ sourceEtag: "v1" => "v2"`), or as the state moved under an unchanged
    plan: an output's change, like any other (`~ etag: "<by hand>" => "<written>"`)."""
    if prop is None:
        return False
    if prop.input:
        return True
    old = old_inputs.get(prop.name)
    return prop.planned and old is not None and old != inputs.get(prop.name)


def _profiles(value: Any) -> dict | None:
    """`objectcopy:profiles`: JSON text (as `pulumi config set` stores it) or an object (YAML config)."""
    if value is None or is_unknown(value):
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise ConfigError(f"objectcopy:profiles is not valid JSON ({e.msg} at line {e.lineno} column "
                              f"{e.colno}): give an object of profile name -> settings") from None
    if not isinstance(value, dict):
        raise ConfigError("objectcopy:profiles must be an object of profile name -> settings")
    return value

"""A small resource with the core's contract (api.Resource), for the provider's contract tests: FileCopy copies one
local file, plans the source's MD5 as `source_etag`, pins it on the copy, finds a destination edited or deleted by
hand, replaces on a new destination and leaves a destination it did not write. Its shape is CopiedObject's, so the
adapter is tested on every decision the real resources make, without their servers."""
from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path
from typing import Any, Mapping

from pulumi_objectcopy.core.api import (UNKNOWN, Applied, Change, CheckResult, Context, DiffResult, Failure,
                                        ReadResult, is_unknown)
from pulumi_objectcopy.core.schema import (BOOL, INT, STRING, STRING_MAP, FunctionSchema, Prop, ResourceSchema)
from pulumi_objectcopy.stores.base import PreconditionFailed, UsageError

SCHEMA = ResourceSchema(
    name="FileCopy", description="a copy of one local file",
    import_id="SOURCE,DESTINATION",
    props=(
        Prop("source", STRING, "the file to copy (a path)", required=True),
        Prop("destination", STRING, "where the copy goes", required=True, replaces=True),
        Prop("mode", STRING, "COPY or REPLACE", default="COPY", choices=("COPY", "REPLACE"), case="upper"),
        Prop("metadata", STRING_MAP, "notes", default={}),
        Prop("token", STRING, "a service secret used by create only", secret=True, echoed=False),
        Prop("track_source", BOOL, "re-copy when the source changes", default=True),
        Prop("source_etag", STRING, "the source MD5 copied", output=True, planned=True),
        Prop("etag", STRING, "the destination's MD5", output=True),
        Prop("written_etag", STRING, "what this resource wrote", output=True),
        Prop("size", INT, "bytes", output=True),
    ))


def md5(path: str) -> str | None:
    try:
        return hashlib.md5(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


class FileCopy:
    schema = SCHEMA

    def __init__(self) -> None:
        self.started = threading.Event()  # set when a create is under way (the cancel test waits on it)
        self.tokens: list[Any] = []        # the secret each create received

    def check(self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None) -> CheckResult:
        inputs = self.schema.with_defaults(news)
        failures = list(self.schema.validate(inputs))
        inputs["source_etag"] = None
        if not failures and not is_unknown(inputs["source"]) and inputs["track_source"] is not False:
            etag = md5(inputs["source"])
            if etag is None:
                failures.append(Failure("source", f"source: {inputs['source']} does not exist"))
            inputs["source_etag"] = etag
        if not failures and is_unknown(inputs["source"]):
            inputs["source_etag"] = UNKNOWN
        return CheckResult(inputs, tuple(failures))

    def diff(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> DiffResult:
        if state.get("destination") != inputs.get("destination"):
            return DiffResult(replaces=("destination",))
        changes = [Change(name) for name in ("source", "mode", "metadata", "source_etag")
                   if state.get(name) != inputs.get(name)]
        if state.get("etag") != state.get("written_etag"):
            changes.append(Change("etag", "the destination was changed outside of Terraform"))
        return DiffResult(tuple(changes))

    def plan(self, state: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> dict[str, Any]:
        echoed = self.schema.echoed_inputs(inputs)
        return {**echoed, "source_etag": inputs.get("source_etag"), "etag": UNKNOWN, "written_etag": UNKNOWN,
                "size": UNKNOWN}

    def _copy(self, inputs: Mapping[str, Any], ctx: Context) -> Applied:
        self.tokens.append(inputs.get("token"))
        if inputs.get("metadata", {}).get("wait"):
            self.started.set()
            if not ctx.cancelled.wait(30):
                raise AssertionError("never cancelled")
            raise UsageError("cancelled: nothing was copied")
        if inputs.get("source_etag") and md5(inputs["source"]) != inputs["source_etag"]:
            raise PreconditionFailed(f"{inputs['source']} changed since the plan (it no longer has ETag "
                                     f"{inputs['source_etag']}); plan again")
        data = Path(inputs["source"]).read_bytes()
        ctx.progress and ctx.progress(0, len(data))
        shutil.copyfile(inputs["source"], inputs["destination"])
        ctx.progress and ctx.progress(len(data), len(data))
        etag = md5(inputs["destination"])
        state = {**self.schema.echoed_inputs(inputs), "source_etag": inputs.get("source_etag") or md5(inputs["source"]),
                 "etag": etag, "written_etag": etag, "size": len(data)}
        return Applied(inputs["destination"], state)

    def create(self, inputs: Mapping[str, Any], ctx: Context) -> Applied:
        return self._copy(inputs, ctx)

    def update(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any], ctx: Context) -> Applied:
        return self._copy(inputs, ctx)

    def read(self, id: str, state: Mapping[str, Any], ctx: Context) -> ReadResult:
        etag = md5(id)
        if etag is None:
            return ReadResult(None)
        new = {**state, "etag": etag, "size": Path(id).stat().st_size}
        return ReadResult(id, new, self.schema.echoed_inputs(state))

    def delete(self, id: str, state: Mapping[str, Any], ctx: Context) -> tuple[str, ...]:
        if md5(id) != state.get("written_etag"):
            return (f"{id} was left in place: it is not the file this resource wrote",)
        Path(id).unlink()
        return ()

    def import_(self, id: str, ctx: Context) -> ReadResult:
        source, sep, destination = id.partition(",/")
        if not sep:
            raise UsageError(f"import id {id!r}: give SOURCE,DESTINATION")
        destination = "/" + destination
        etag = md5(destination)
        if etag is None or etag != md5(source):
            raise UsageError(f"import: {destination} does not hold a copy of {source}")
        inputs = self.schema.with_defaults({"source": source, "destination": destination})
        state = {**self.schema.echoed_inputs(inputs), "source_etag": etag, "etag": etag, "written_etag": etag,
                 "size": Path(destination).stat().st_size}
        return ReadResult(destination, state, self.schema.echoed_inputs(inputs))


FILE_SCHEMA = FunctionSchema(
    name="getFile", terraform_name="file", description="one file's MD5 and size",
    args=(Prop("path", STRING, "the file", required=True),),
    results=(Prop("etag", STRING, "MD5", output=True), Prop("size", INT, "bytes", output=True)))


class FileInfo:
    schema = FILE_SCHEMA

    def check(self, args: Mapping[str, Any]) -> CheckResult:
        return CheckResult(dict(args), () if args.get("path") else (Failure("path", "path: required"),))

    def call(self, args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        etag = md5(args["path"])
        if etag is None:
            raise UsageError(f"path: {args['path']} does not exist")
        return {"etag": etag, "size": Path(args["path"]).stat().st_size}

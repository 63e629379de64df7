"""A small resource with the core's contract (provider/core/api.py), for the plugin's in-process tests: a `Note`
kept in an in-memory store, with a planned output (its digest, known at plan time), a secret input, a replacing
input, drift, warnings and an import id; and a function `getNote`."""
from __future__ import annotations

import hashlib
from typing import Any, Mapping

from pulumi_objectcopy.core.api import (UNKNOWN, Applied, Change, CheckResult, Context, DiffResult, Failure,
                                        ReadResult, is_unknown)
from pulumi_objectcopy.core.schema import INT, STRING, STRING_MAP, FunctionSchema, Prop, ResourceSchema
from pulumi_objectcopy.errors import NotFound, UsageError

STORE: dict[str, dict[str, Any]] = {}   # path -> {"text", "digest"}


def digest(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


SCHEMA = ResourceSchema(
    name="Note", description="A note at a path.", import_id="PATH",
    props=(
        Prop("path", STRING, "where the note is kept", required=True, replaces=True),
        Prop("text", STRING, "what it says", required=True),
        Prop("line_ending", STRING, "LF or CRLF", default="LF", choices=("LF", "CRLF"), case="upper"),
        Prop("labels", STRING_MAP, "labels", default={}),
        Prop("api_key", STRING, "a key the service needs", secret=True, echoed=False),
        Prop("delete_policy", STRING, "delete or retain", default="delete", choices=("delete", "retain")),
        Prop("size", INT, "its size", output=True),
        Prop("text_digest", STRING, "the digest planned and written", output=True, planned=True),
        Prop("key_hint", STRING, "derived from api_key", output=True, secret=True),
        Prop("written_digest", STRING, "what this resource wrote", output=True),
    ),
)


class Note:
    schema = SCHEMA

    def check(self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None) -> CheckResult:
        inputs = SCHEMA.with_defaults(news)
        failures = list(SCHEMA.validate(inputs))
        if isinstance(inputs.get("path"), str) and "_" in inputs["path"]:
            failures.append(Failure("path", "path: no underscores; see line_ending and text_digest"))
        text = inputs.get("text")
        inputs["text_digest"] = UNKNOWN if is_unknown(text) or text is None else digest(text)
        return CheckResult(inputs, tuple(failures))

    def diff(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> DiffResult:
        changes = [Change(n) for n in SCHEMA.input_names if n != "api_key" and state.get(n) != inputs.get(n)]
        if inputs.get("text_digest") != state.get("text_digest"):
            changes.append(Change("text_digest"))
        if state.get("written_digest") and state.get("text_digest") != state.get("written_digest"):
            changes.append(Change("text_digest", "the note was edited by hand: will write it again"))
        replaces = tuple(c.property for c in changes if c.property == "path")
        return DiffResult(tuple(changes), replaces, delete_before_replace=True)

    def plan(self, state: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> dict[str, Any]:
        planned = SCHEMA.echoed_inputs(inputs)
        planned["text_digest"] = inputs.get("text_digest")
        text = inputs.get("text")
        planned["size"] = UNKNOWN if is_unknown(text) else len(text or "")
        planned["key_hint"] = UNKNOWN
        planned["written_digest"] = UNKNOWN
        return planned

    def _write(self, inputs: Mapping[str, Any], ctx: Context) -> Applied:
        STORE[inputs["path"]] = {"text": inputs["text"], "digest": digest(inputs["text"])}
        ctx.log("info", f"wrote {inputs['path']}")
        if ctx.progress:
            ctx.progress(len(inputs["text"]), len(inputs["text"]))
        state = {**SCHEMA.echoed_inputs(inputs), "size": len(inputs["text"]), "text_digest": digest(inputs["text"]),
                 "written_digest": digest(inputs["text"]),
                 "key_hint": (inputs.get("api_key") or "")[:3] or None}
        return Applied(inputs["path"], state, ("labels are not kept by this store",) if inputs.get("labels") else ())

    def create(self, inputs: Mapping[str, Any], ctx: Context) -> Applied:
        if inputs["text"] == "boom":
            raise UsageError("text: 'boom' cannot be written; give text_digest another text")
        return self._write(inputs, ctx)

    def update(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any], ctx: Context) -> Applied:
        return self._write(inputs, ctx)

    def read(self, id: str, state: Mapping[str, Any], ctx: Context) -> ReadResult:
        found = STORE.get(id)
        if found is None:
            return ReadResult(None)
        new_state = {**state, "text_digest": found["digest"], "size": len(found["text"])}
        return ReadResult(id, new_state, SCHEMA.echoed_inputs(state))

    def delete(self, id: str, state: Mapping[str, Any], ctx: Context) -> tuple[str, ...]:
        if state.get("delete_policy") == "retain":
            return (f"{id} left in place: delete_policy is retain",)
        STORE.pop(id, None)
        return ()

    def import_(self, id: str, ctx: Context) -> ReadResult:
        found = STORE.get(id)
        if found is None:
            raise UsageError(f"import id {id!r}: no note at that path (give PATH)")
        state = {"path": id, "text": found["text"], "line_ending": "LF", "labels": {}, "delete_policy": "delete",
                 "size": len(found["text"]), "text_digest": found["digest"], "written_digest": found["digest"]}
        return ReadResult(id, state, SCHEMA.echoed_inputs(state))


GET_SCHEMA = FunctionSchema(
    name="getNote", terraform_name="note", description="Reads a note.",
    args=(Prop("path", STRING, "where the note is", required=True),),
    results=(Prop("text_digest", STRING, "its digest", output=True), Prop("size", INT, "its size", output=True)))


class GetNote:
    schema = GET_SCHEMA

    def check(self, args: Mapping[str, Any]) -> CheckResult:
        if not args.get("path"):
            return CheckResult(dict(args), (Failure("path", "path: required"),))
        return CheckResult(dict(args))

    def call(self, args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        found = STORE.get(args["path"])
        if found is None:
            raise NotFound(f"getNote {args['path']}: no such note")
        return {"path": args["path"], "text_digest": found["digest"], "size": len(found["text"])}


RESOURCES = {"Note": Note()}
FUNCTIONS = {"getNote": GetNote()}

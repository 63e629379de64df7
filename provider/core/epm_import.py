"""EpmObjectStoreImport's decisions: Oracle EPM Cloud's Copy From Object Store (v3) copies an object into the
environment as `file_name`, and with track_source again whenever the object changes: check HEADs the object and
plans its ETag as `source_etag`, so a changed object shows in the plan as an update. A refresh checks the file is
still listed; destroy deletes it from the environment.
"""
from __future__ import annotations

from typing import Any, Mapping

from .. import transfer
from ..errors import (
    ConfigError,
    NotFound,
    ObjectCopyError,
    PreconditionFailed,
    UsageError,
)
from ..services import epm
from ..services.names import copy_from_file_name
from ..stores.base import ObjectInfo
from ..urls import ObjectURL
from .api import (
    UNKNOWN,
    Applied,
    Change,
    CheckResult,
    Context,
    DiffResult,
    Failure,
    Props,
    ReadResult,
    is_unknown,
)
from .epm_common import EpmTransfer, close_matches, imported, now, split_import_id
from .epm_schema import (
    IMPORT,
    bucket_url,
    checked_inputs,
    file_name,
    key_fingerprint,
    same_import_target,
)
from .errors import within


class EpmObjectStoreImport(EpmTransfer):
    schema = IMPORT

    def check(self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None) -> CheckResult:
        """Validate, then (track_source) HEAD the object: its ETag becomes the planned `source_etag`."""
        inputs = checked_inputs(IMPORT, news)
        inputs["source_etag"] = None
        failures = list(IMPORT.validate(inputs))
        if failures or inputs["track_source"] is not True or is_unknown(inputs["url"]) \
                or is_unknown(inputs["object_profile"]):
            return CheckResult(inputs, tuple(failures))
        try:
            inputs["source_etag"] = transfer.head(_object(inputs)).etag
        except NotFound:
            pass  # another resource may write it earlier in this update; EPM's error says so if not
        except ObjectCopyError as e:
            fix = " (name an objectcopy profile in object_profile, or set track_source false to import without " \
                  "reading the object)" if isinstance(e, ConfigError) else ""
            failures.append(Failure("url", f"url: {e}{fix}"))
        return CheckResult(inputs, tuple(failures))

    # --- diff and plan ---------------------------------------------------------------------------------------
    def diff(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> DiffResult:
        changes = self.input_changes(state, inputs)
        if _source_changed(state, inputs):
            changes.append(Change("source_etag", f"the object's ETag changed from {state.get('source_etag')} to "
                                                 f"{inputs.get('source_etag')}: will import it again"))
        elif _adopting(state, inputs):
            changes.append(Change("source_etag", f"the object's ETag {inputs.get('source_etag')} is recorded as the "
                                                 "one imported: a later change imports it again"))
        replaces = self.replaces(state, changes)
        return DiffResult(tuple(changes), replaces,
                          delete_before_replace=bool(replaces) and same_import_target(state, inputs))

    def plan(self, state: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> Props:
        if state is not None and not _source_changed(state, inputs):
            return _recorded(self.record(state, inputs), state, inputs)
        planned, track = inputs.get("source_etag"), inputs.get("track_source")
        source = planned if track is True and isinstance(planned, str) else None if track is False else UNKNOWN
        key = inputs.get("oci_private_key")
        return {**{name: UNKNOWN for name in IMPORT.output_names}, **IMPORT.echoed_inputs(inputs),
                "source_etag": source, "key_fingerprint": UNKNOWN if is_unknown(key) else key_fingerprint(key)}

    # --- create / update -------------------------------------------------------------------------------------
    def create(self, inputs: Mapping[str, Any], ctx: Context) -> Applied:
        outs = self._import(inputs, ctx)
        return Applied(outs["file_name"], outs)

    def update(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any], ctx: Context) -> Applied:
        if _source_changed(state, inputs):
            return Applied(id, self._import(inputs, ctx))
        return Applied(id, _recorded(self.record(state, inputs), state, inputs))

    def _import(self, inputs: Mapping[str, Any], ctx: Context) -> Props:
        url, env = inputs["url"], inputs["environment_url"]
        client = epm.EpmClient(env)
        try:
            bucket = bucket_url(inputs, swift=True)
            obj, name = bucket.oci(inputs.get("object_profile")), inputs["file_name"]
            sent = copy_from_file_name(name, bucket.object)
            source = _source(obj, inputs) if inputs.get("track_source") else None
            job = client.copy_from_object_store(url=url, file_name=sent, **self.credentials(inputs))
            self.follow(client, job, f"copy {url} into the environment as {sent!r}", ctx,
                        again=f"it rewrites the file {name!r}")
            names = [str(f.get("name")) for f in client.files()]
            if name not in names:
                raise NotFound(f"EPM reported success (job {job}) but lists no file {name!r}, the name this "
                               f"provider expects for fileName {sent!r}{close_matches(name, names)}")
        except ObjectCopyError as e:
            raise within(e, f"EpmObjectStoreImport {url} -> {env}") from None
        return {**IMPORT.echoed_inputs(inputs), "job_id": job, "file_name": name,
                "source_etag": source.etag if source else None, "imported_at": now(),
                "key_fingerprint": key_fingerprint(inputs["oci_private_key"])}

    # --- read (refresh) and import ---------------------------------------------------------------------------
    def read(self, id: str, state: Mapping[str, Any], ctx: Context) -> ReadResult:
        name = str(state.get("file_name") or "")
        try:
            listed = epm.EpmClient(state["environment_url"]).find_file(name)
        except ObjectCopyError as e:
            doing = f"EpmObjectStoreImport refresh of {name!r} in EPM environment {state.get('environment_url')}"
            raise within(e, doing) from None
        if listed is None:
            return ReadResult(None)  # removed by hand: dropped, and the next apply imports again
        return ReadResult(id, dict(state), self.recorded_inputs(state))

    def import_(self, id: str, ctx: Context) -> ReadResult:
        """`ENVIRONMENT_URL,FILE_NAME`: a file the environment lists, taken over as this import's without a job.
        The object it came from is not known: the first update records `url` and, with track_source, the object's
        ETag then, as the one imported."""
        env, name = split_import_id(id, "FILE_NAME", "https://epm.example.com,inbox/data.csv")
        problem = file_name(name)
        if problem:
            raise UsageError(f"import id {id!r}: file_name {problem}")
        try:
            names = [str(f.get("name")) for f in epm.EpmClient(env).files()]
        except ObjectCopyError as e:
            raise within(e, f"EpmObjectStoreImport import of {name!r} from {env}") from None
        if name not in names:
            raise UsageError(f"import {id!r}: {env} lists no file {name!r} ({len(names)} files listed)"
                             f"{close_matches(name, names)}; nothing to import")
        state = {**IMPORT.echoed_inputs(IMPORT.with_defaults({"environment_url": env, "file_name": name})),
                 "job_id": None, "source_etag": None, "imported_at": None, "key_fingerprint": None}
        return ReadResult(name, state, self.recorded_inputs(state))

    # --- delete ----------------------------------------------------------------------------------------------
    def delete(self, id: str, state: Mapping[str, Any], ctx: Context) -> tuple[str, ...]:
        if state.get("delete_policy") == "retain":
            return ()
        name = str(state.get("file_name") or "")
        try:
            epm.EpmClient(state["environment_url"]).delete_file(name)
        except ObjectCopyError as e:
            raise within(e, f"EpmObjectStoreImport delete of {name!r} in {state.get('environment_url')}") from None
        return ()


# --- the pieces ----------------------------------------------------------------------------------------------------
def _object(inputs: Mapping[str, Any]) -> ObjectURL:
    """The object as the provider reaches it (`oci://[object_profile@]ns/bucket/object`)."""
    return bucket_url(inputs, swift=True).oci(inputs.get("object_profile"))


def _source_changed(state: Mapping[str, Any], inputs: Mapping[str, Any]) -> bool:
    planned = inputs.get("source_etag")
    return inputs.get("track_source") is True and isinstance(planned, str) and planned != state.get("source_etag") \
        and not _adopting(state, inputs)


def _adopting(state: Mapping[str, Any], inputs: Mapping[str, Any]) -> bool:
    """An imported file whose object's ETag is not recorded yet: the first update records the one planned."""
    return imported(state) and state.get("source_etag") is None and inputs.get("track_source") is True \
        and isinstance(inputs.get("source_etag"), str)


def _recorded(recorded: Props, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> Props:
    """No job: the source ETag stays the one imported (or, adopting, becomes the one planned)."""
    return {**recorded, "source_etag": inputs.get("source_etag") if _adopting(state, inputs)
            else state.get("source_etag")}


def _source(obj: ObjectURL, inputs: Mapping[str, Any]) -> ObjectInfo | None:
    """The object as it is now; it must still be the one planned. Missing: EPM's own error will say so."""
    try:
        info = transfer.head(obj)
    except NotFound:
        return None
    planned = inputs.get("source_etag")
    if planned and info.etag != planned:
        raise PreconditionFailed(f"{obj} changed since it was planned: ETag {planned} was planned, the object "
                                 f"now has {info.etag}; run the update again to import the new version")
    return info


RESOURCE = EpmObjectStoreImport()

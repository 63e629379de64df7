"""EpmObjectStoreExport's decisions: Oracle EPM Cloud's Copy To Object Store (v3) copies a file or snapshot of the
environment into an OCI bucket, and the resource keeps the object there. A refresh HEADs the object: overwritten by
hand (its `etag` is no longer `written_etag`), the next apply exports again; deleted, the resource is gone and the
next apply exports again. Destroy deletes the object only if it is still the one exported.

Environment: OBJECTCOPY_EPM_FILE_FIELD overrides the name of Copy To's file field (default `filePath`, as seed 000
names it; `fileName` is the other candidate): see services/epm.py.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from .. import transfer
from ..errors import NotFound, ObjectCopyError, PreconditionFailed, UsageError
from ..etags import same_etag
from ..services import epm
from ..services.buckets import parse_bucket_url
from ..services.names import exported_object_name
from ..stores.base import ObjectInfo
from ..urls import ObjectURL, parse
from .api import (
    UNKNOWN,
    Applied,
    Change,
    CheckResult,
    Context,
    DiffResult,
    Props,
    ReadResult,
    is_unknown,
)
from .epm_common import EpmTransfer, close_matches, imported, iso, now, split_import_id
from .epm_schema import (
    EXPORT,
    bucket_url,
    checked_inputs,
    key_fingerprint,
    object_of,
    planned_object_url,
    same_export_target,
)
from .errors import within


def drifted(state: Mapping[str, Any]) -> bool:
    """The object is no longer what this resource wrote, as the last refresh saw it."""
    return state.get("written_etag") is not None and not same_etag(state.get("etag"), state.get("written_etag"))


class EpmObjectStoreExport(EpmTransfer):
    schema = EXPORT

    def check(self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None) -> CheckResult:
        inputs = checked_inputs(EXPORT, news)
        return CheckResult(inputs, EXPORT.validate(inputs))

    # --- diff and plan ---------------------------------------------------------------------------------------
    def diff(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> DiffResult:
        changes = self.input_changes(state, inputs)
        if drifted(state):
            changes.append(Change("etag", f"the object was changed outside (ETag {state.get('etag')}, the export "
                                          f"wrote {state.get('written_etag')}): will export it again"))
        replaces = self.replaces(state, changes)
        if imported(state):  # url and file_path replace it only when they name another object than the one imported
            names = ("url",) if planned_object_url(inputs) is not UNKNOWN else ("url", "file_path")
            target = tuple(c.property for c in changes if c.property in names)
            replaces = tuple(p for p in replaces if p not in target) + \
                (() if same_export_target(state, inputs) else target)
        return DiffResult(tuple(changes), replaces,
                          delete_before_replace=bool(replaces) and same_export_target(state, inputs))

    def plan(self, state: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> Props:
        if state is not None and not drifted(state):
            return self._recorded(state, inputs)
        key = inputs.get("oci_private_key")
        return {**{name: UNKNOWN for name in EXPORT.output_names}, **EXPORT.echoed_inputs(inputs),
                "object_url": planned_object_url(inputs),
                "key_fingerprint": UNKNOWN if is_unknown(key) else key_fingerprint(key)}

    def _recorded(self, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> Props:
        """No job: the inputs recorded, and the object under its (maybe new) profile name."""
        profile = inputs.get("object_profile")
        old = object_of(state)
        moved = UNKNOWN if is_unknown(profile) else str(ObjectURL(old.scheme, old.bucket, old.key, profile))
        return {**self.record(state, inputs), "object_url": moved}

    # --- create / update -------------------------------------------------------------------------------------
    def create(self, inputs: Mapping[str, Any], ctx: Context) -> Applied:
        outs = self._export(inputs, ctx)
        return Applied(outs["object_url"], outs)

    def update(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any], ctx: Context) -> Applied:
        if drifted(state):  # the object is no longer what was exported
            return Applied(id, self._export(inputs, ctx))
        return Applied(id, self._recorded(state, inputs))

    def _export(self, inputs: Mapping[str, Any], ctx: Context) -> Props:
        file_path, url = inputs["file_path"], inputs["url"]
        client = epm.EpmClient(inputs["environment_url"])
        try:
            bucket = bucket_url(inputs, swift=False)
            listing = client.files()
            entry = next((f for f in listing if f.get("name") == file_path), None)
            if entry is None:
                raise UsageError(_unlisted(file_path, [str(f.get("name")) for f in listing], inputs))
            obj = bucket.oci(inputs.get("object_profile"),
                             bucket.object or exported_object_name(file_path, entry.get("type")))
            before = _head(obj)  # also proves the object's profile resolves before anything starts
            job = client.copy_to_object_store(file_path=file_path, url=url, **self.credentials(inputs))
            self.follow(client, job, f"copy {file_path!r} to {url}", ctx, file_hint=True, again=f"it rewrites {obj}")
            info = _written(obj, before, job, named=bool(bucket.object), url=url)
        except ObjectCopyError as e:
            raise within(e, f"EpmObjectStoreExport {file_path!r} -> {url}") from None
        return {**EXPORT.echoed_inputs(inputs), "job_id": job, "object_url": str(obj), "etag": info.etag,
                "written_etag": info.etag, "size": info.size, "last_modified": iso(info.last_modified),
                "exported_at": now(), "key_fingerprint": key_fingerprint(inputs["oci_private_key"])}

    # --- read (refresh) and import ---------------------------------------------------------------------------
    def read(self, id: str, state: Mapping[str, Any], ctx: Context) -> ReadResult:
        try:
            live = transfer.head(object_of(state))
        except NotFound:
            return ReadResult(None)  # deleted by hand: dropped, and the next apply exports again
        except ObjectCopyError as e:
            raise within(e, f"EpmObjectStoreExport refresh of {state.get('object_url')}") from None
        outs = {**state, "etag": live.etag, "size": live.size, "last_modified": iso(live.last_modified)}
        return ReadResult(id, outs, self.recorded_inputs(state))

    def import_(self, id: str, ctx: Context) -> ReadResult:
        """`ENVIRONMENT_URL,OBJECT_URL`: the object as `object_url` shows it (oci://[PROFILE@]namespace/bucket/
        object), or its Object Storage URL (read with the default OCI configuration). It is HEADed and taken over
        as this export's; no job is run."""
        env, text = split_import_id(id, "OBJECT_URL", "https://epm.example.com,oci://PROFILE@namespace/bucket/"
                                                      "epm/snapshot.zip")
        obj, url = _import_target(id, text)
        try:
            live = transfer.head(obj)
        except NotFound:
            raise UsageError(f"import {id!r}: there is no object {obj}; nothing to import") from None
        except ObjectCopyError as e:
            raise within(e, f"EpmObjectStoreExport import of {obj}") from None
        try:
            epm.EpmClient(env).files()  # the environment answers, with these credentials
        except ObjectCopyError as e:
            raise within(e, f"EpmObjectStoreExport import from {env}") from None
        given = {"environment_url": env, "url": url, "object_profile": obj.profile}
        state = {**EXPORT.echoed_inputs(EXPORT.with_defaults(given)), "job_id": None, "object_url": str(obj),
                 "etag": live.etag, "written_etag": live.etag, "size": live.size,
                 "last_modified": iso(live.last_modified), "exported_at": None, "key_fingerprint": None}
        return ReadResult(str(obj), state, self.recorded_inputs(state))

    # --- delete ----------------------------------------------------------------------------------------------
    def delete(self, id: str, state: Mapping[str, Any], ctx: Context) -> tuple[str, ...]:
        if state.get("delete_policy") == "retain":
            return ()
        try:
            written_at = state.get("last_modified")
            why = transfer.delete_if_unchanged(object_of(state), state.get("written_etag"),
                                               datetime.fromisoformat(written_at) if written_at else None)
        except ObjectCopyError as e:
            raise within(e, f"EpmObjectStoreExport delete of {state.get('object_url')}") from None
        return (f"EpmObjectStoreExport: {why}",) if why else ()


# --- the pieces ----------------------------------------------------------------------------------------------------
def _unlisted(file_path: str, names: list[str], inputs: Mapping[str, Any]) -> str:
    hint = close_matches(file_path, names)
    if file_path.lower().endswith(".zip") and file_path[:-4] in names:
        hint = f"; a snapshot is named without .zip: file_path {file_path[:-4]!r}"
    return (f"file_path {file_path!r} is not listed in {inputs['environment_url']} ({len(names)} files "
            f"listed){hint}; nothing was exported")


def _head(obj: ObjectURL) -> ObjectInfo | None:
    try:
        return transfer.head(obj)
    except NotFound:
        return None


def _written(obj: ObjectURL, before: ObjectInfo | None, job: str, *, named: bool, url: str) -> ObjectInfo:
    """The object EPM wrote, HEADed; an error when it is not there, or not rewritten."""
    fix = "" if named else (f"; this provider assumed EPM names the object after the file: name the object "
                            f"in url, {url.rstrip('/')}/o/<name>")
    try:
        info = transfer.head(obj)
    except NotFound:
        raise NotFound(f"EPM reported success (job {job}) but there is no object {obj}{fix}") from None
    if before is not None and info.etag == before.etag:
        raise PreconditionFailed(f"EPM reported success (job {job}) but {obj} was not rewritten (ETag still "
                                 f"{info.etag}){fix}")
    return info


def _import_target(id: str, text: str) -> tuple[ObjectURL, str | None]:
    """The object an import id names, and the `url` input it gives (None for the oci:// form)."""
    if text.startswith("oci://"):
        obj = parse(text, field=f"import id {id!r}")
        return obj, None
    bucket = parse_bucket_url(text, field=f"import id {id!r}")
    if not bucket.object:
        raise UsageError(f"import id {id!r}: {text} names only the bucket; name the object, {text.rstrip('/')}/o/"
                         "<object>")
    return bucket.oci(None), text


RESOURCE = EpmObjectStoreExport()

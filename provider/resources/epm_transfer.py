"""EpmObjectStoreExport and EpmObjectStoreImport: Oracle EPM Cloud's Copy To / Copy From Object Store (v3) as Pulumi
dynamic resources. An export copies a file or snapshot of the environment into an OCI bucket and keeps the object
(refresh sees it overwritten or deleted; the next up exports again); an import copies an object into the
environment and, with track_source, imports again when the object changes (preview shows it as an update).

Lifecycle decisions only: the EPM calls go through services/epm.py and the one waiter, the object's HEAD and delete
through the transfer layer with the OCI store (`object_profile`, or the default OCI configuration).

Secrets. EPM's own credentials are never inputs: EPM_USERNAME / EPM_PASSWORD or EPM_TOKEN are read by the provider
process at each call. The OCI API key that EPM signs with travels in the request body, so `oci_private_key` is an
input, wrapped as a secret by the resource classes. It is never an output (only create and update use it, and they
get it as an input); `key_fingerprint`, the key's public fingerprint, stands for it so a new key shows as a change.

Environment: OBJECTCOPY_EPM_FILE_FIELD overrides the name of Copy To's file field (default `filePath`, as seed 000
names it; `fileName` is the other candidate): see services/epm.py.

No EPM call finds a running job, so a create that could not follow its job to the end (status unreadable, timed
out) says so, and the next run starts the copy again: it writes the same object or file. The trigger itself is
sent once (never retried), so one create starts at most one job.
"""
from __future__ import annotations

import difflib
from datetime import datetime, timezone
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from .. import jobs, transfer
from ..services import epm
from ..stores.base import ConfigError, NotFound, ObjectCopyError, ObjectInfo, PreconditionFailed, UsageError
from ..urls import ObjectURL, parse
from . import engine_log
from . import epm_transfer_args as args
from .base import Provider, drift_seen, drifted, restore_plan


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _close(name: str, names: list[str]) -> str:
    near = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""


class _EpmTransferProvider(Provider):
    """What the export and the import share: check, credential bookkeeping, the job wait."""

    KIND = ""
    DIRECTION = ""
    INPUTS: tuple[str, ...] = ()

    def check(self, _olds: dict, news: dict) -> CheckResult:
        inputs = args.defaults(news, self.INPUTS)
        return CheckResult(inputs, [CheckFailure(p, r) for p, r in args.validate(inputs, direction=self.DIRECTION)])

    def _changed(self, olds: dict, news: dict) -> list[str]:
        """The inputs that differ; the key is compared by its fingerprint (the key itself is not kept)."""
        changed = [k for k in self.INPUTS
                   if k not in args.SECRET_INPUTS and k != "source_etag" and olds.get(k) != news.get(k)]
        key = news.get("oci_private_key")
        if args.unknown(key) or args.key_fingerprint(key) != olds.get("key_fingerprint"):
            changed.append("oci_private_key")
        return changed

    def _recorded(self, olds: dict, news: dict) -> dict:
        """A change that needs no request (credentials, object_profile, delete_policy): recorded for later calls."""
        return {**olds, **args.public(news, self.INPUTS),
                "key_fingerprint": args.key_fingerprint(news.get("oci_private_key"))}

    @staticmethod
    def _key(props: dict) -> dict[str, str]:
        pem = str(props["oci_private_key"])
        fingerprint = args.key_fingerprint(pem)
        if fingerprint is None:  # check() refuses such a key; a program that skipped it gets this
            raise UsageError("oci_private_key does not parse as an unencrypted RSA private key in PEM form")
        return {"tenancy": props["oci_tenancy"], "user": props["oci_user"], "fingerprint": fingerprint,
                "private_key_pem": pem}

    @staticmethod
    def _wait(client: epm.EpmClient, job: str, what: str, *, again: str, file_hint: bool = False) -> None:
        """Follow the job to the end. A failure carries the job's own details; a job this run could not follow
        says that EPM cannot find it again, so the next run starts over (`again` says what that rewrites)."""
        try:
            client.wait(job, what)
        except jobs.JobFailed as e:
            raise jobs.JobFailed(f"{e}{epm.file_field_hint(str(e)) if file_hint else ''}", e.status) from None
        except ObjectCopyError as e:
            reason = (f"it was still running after {epm.JOB_TIMEOUT / 3600:.0f} h" if isinstance(e, jobs.JobTimedOut)
                      else f"its status could not be read: {e}")
            raise ObjectCopyError(
                f"EPM job {job} ({what}) was started, but {reason}. EPM offers no call to find a running job, so "
                f"this run cannot follow it: the next run starts the copy again ({again})") from None


# --- export ----------------------------------------------------------------------------------------------------
class EpmObjectStoreExportProvider(_EpmTransferProvider):
    KIND, DIRECTION, INPUTS = "EpmObjectStoreExport", "export", args.EXPORT_INPUTS

    def check(self, olds: dict, news: dict) -> CheckResult:
        result = super().check(olds, news)
        return CheckResult({**result.inputs, **restore_plan(olds)}, result.failures)

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        changed = self._changed(olds, news)
        replaces = [k for k in changed if k in args.EXPORT_REPLACE_ON]
        return DiffResult(changes=bool(changed) or drifted(olds), replaces=replaces,
                          delete_before_replace=bool(replaces) and args.same_export_target(olds, news))

    def create(self, props: dict) -> CreateResult:
        outs = self._export(props)
        return CreateResult(outs["object_url"], outs)

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        if drifted(olds):  # the object is no longer what was exported
            return UpdateResult(self._export(news))
        old = parse(olds["object_url"], field="object_url")
        moved = ObjectURL(old.scheme, old.bucket, old.key, news.get("object_profile"))  # same object, new profile
        return UpdateResult({**self._recorded(olds, news), "object_url": str(moved)})

    def _export(self, props: dict) -> dict:
        file_path, url = props["file_path"], props["url"]
        client = epm.EpmClient(props["environment_url"])
        try:
            bucket = args.bucket_url(props, direction="export")
            listing = client.files()
            entry = next((f for f in listing if f.get("name") == file_path), None)
            if entry is None:
                raise UsageError(self._unlisted(file_path, [str(f.get("name")) for f in listing], props))
            obj = bucket.oci(props.get("object_profile"),
                             bucket.object or epm.exported_object_name(file_path, entry.get("type")))
            before = self._head(obj)  # also proves the object's profile resolves before anything starts
            job = client.copy_to_object_store(file_path=file_path, url=url, **self._key(props))
            self._wait(client, job, f"copy {file_path!r} to {url}", file_hint=True,
                       again=f"it rewrites {obj}")
            info = self._written(obj, before, job, named=bool(bucket.object), url=url)
        except ObjectCopyError as e:
            raise Exception(f"EpmObjectStoreExport {file_path!r} -> {url}: {e}") from None
        return {**args.public(props, self.INPUTS), "job_id": job, "object_url": str(obj), "etag": info.etag,
                "written_etag": info.etag, "size": info.size, "last_modified": _iso(info.last_modified),
                "exported_at": _now(), "key_fingerprint": args.key_fingerprint(props["oci_private_key"])}

    @staticmethod
    def _unlisted(file_path: str, names: list[str], props: dict) -> str:
        hint = _close(file_path, names)
        if file_path.lower().endswith(".zip") and file_path[:-4] in names:
            hint = f"; a snapshot is named without .zip: file_path {file_path[:-4]!r}"
        return (f"file_path {file_path!r} is not listed in {props['environment_url']} ({len(names)} files "
                f"listed){hint}; nothing was exported")

    @staticmethod
    def _head(obj: ObjectURL) -> ObjectInfo | None:
        try:
            return transfer.head(obj)
        except NotFound:
            return None

    @staticmethod
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

    def read(self, id_: str, props: dict) -> ReadResult:
        try:
            live = transfer.head(parse(props["object_url"], field="object_url"))
        except NotFound:
            return ReadResult("", {})  # deleted by hand: the engine drops it, and the next up exports again
        except ObjectCopyError as e:
            raise Exception(f"EpmObjectStoreExport refresh of {props.get('object_url')}: {e}") from None
        outs = {**props, "etag": live.etag, "size": live.size, "last_modified": _iso(live.last_modified)}
        # The inputs are left as stored (None), unless the object drifted: this state has no key, so only the
        # engine's own copy of the inputs can carry the ETags that show why (base.py).
        stored = engine_log.stored_inputs() if drifted(outs) else None
        return ReadResult(id_, outs, {**stored, **drift_seen(outs)} if stored is not None else None)

    def delete(self, _id: str, props: dict) -> None:
        if props.get("delete_policy") == "retain":
            return
        try:
            obj = parse(props["object_url"], field="object_url")
            written_at = props.get("last_modified")
            why = transfer.delete_if_unchanged(obj, props.get("written_etag"),
                                               datetime.fromisoformat(written_at) if written_at else None)
        except ObjectCopyError as e:
            raise Exception(f"EpmObjectStoreExport delete of {props.get('object_url')}: {e}") from None
        if why:
            engine_log.warn(f"EpmObjectStoreExport: {why}")


# --- import ----------------------------------------------------------------------------------------------------
class EpmObjectStoreImportProvider(_EpmTransferProvider):
    KIND, DIRECTION, INPUTS = "EpmObjectStoreImport", "import", args.IMPORT_INPUTS

    def check(self, olds: dict, news: dict) -> CheckResult:
        """Validate, then (track_source) HEAD the object: its ETag becomes the planned `source_etag`, so a changed
        object shows in preview as an update."""
        result = super().check(olds, news)
        inputs, failures = result.inputs, list(result.failures)
        inputs["source_etag"] = None
        if failures or inputs["track_source"] is not True or args.unknown(inputs["url"]) \
                or args.unknown(inputs["object_profile"]):
            return CheckResult(inputs, failures)
        try:
            inputs["source_etag"] = transfer.head(args.object_url(inputs, direction="import")).etag
        except NotFound:
            pass  # another resource may write it earlier in this update; EPM's error says so if not
        except ObjectCopyError as e:
            fix = " (name an objectcopy profile in object_profile, or set track_source false to import without " \
                  "reading the object)" if isinstance(e, ConfigError) else ""
            failures.append(CheckFailure("url", f"url: {e}{fix}"))
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        changed = self._changed(olds, news)
        if self._source_changed(olds, news):
            changed.append("source_etag")
        replaces = [k for k in changed if k in args.IMPORT_REPLACE_ON]
        return DiffResult(changes=bool(changed), replaces=replaces,
                          delete_before_replace=bool(replaces) and args.same_import_target(olds, news))

    @staticmethod
    def _source_changed(olds: dict, news: dict) -> bool:
        return bool(news.get("track_source")) and news.get("source_etag") is not None \
            and news.get("source_etag") != olds.get("source_etag")

    def create(self, props: dict) -> CreateResult:
        outs = self._import(props)
        return CreateResult(outs["file_name"], outs)

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        if self._source_changed(olds, news):
            return UpdateResult(self._import(news))
        return UpdateResult({**self._recorded(olds, news), "source_etag": olds.get("source_etag")})

    def _import(self, props: dict) -> dict:
        url, env = props["url"], props["environment_url"]
        client = epm.EpmClient(env)
        try:
            bucket = args.bucket_url(props, direction="import")
            obj, name = bucket.oci(props.get("object_profile")), props["file_name"]
            sent = epm.copy_from_file_name(name, bucket.object)
            source = self._source(obj, props) if props.get("track_source") else None
            job = client.copy_from_object_store(url=url, file_name=sent, **self._key(props))
            self._wait(client, job, f"copy {url} into the environment as {sent!r}",
                       again=f"it rewrites the file {name!r}")
            names = [str(f.get("name")) for f in client.files()]
            if name not in names:
                raise NotFound(f"EPM reported success (job {job}) but lists no file {name!r}, the name this "
                               f"provider expects for fileName {sent!r}{_close(name, names)}")
        except ObjectCopyError as e:
            raise Exception(f"EpmObjectStoreImport {url} -> {env}: {e}") from None
        return {**args.public(props, self.INPUTS), "job_id": job, "file_name": name,
                "source_etag": source.etag if source else None, "imported_at": _now(),
                "key_fingerprint": args.key_fingerprint(props["oci_private_key"])}

    @staticmethod
    def _source(obj: ObjectURL, props: dict) -> ObjectInfo | None:
        """The object as it is now; it must still be the one planned. Missing: EPM's own error will say so."""
        try:
            info = transfer.head(obj)
        except NotFound:
            return None
        planned = props.get("source_etag")
        if planned and info.etag != planned:
            raise PreconditionFailed(f"{obj} changed since it was planned: ETag {planned} was planned, the object "
                                     f"now has {info.etag}; run the update again to import the new version")
        return info

    def read(self, id_: str, props: dict) -> ReadResult:
        name = props.get("file_name")
        try:
            listed = epm.EpmClient(props["environment_url"]).find_file(name)
        except ObjectCopyError as e:
            raise Exception(f"EpmObjectStoreImport refresh of {name!r} in {props.get('environment_url')}: "
                            f"{e}") from None
        if listed is None:
            return ReadResult("", {})  # removed by hand: the engine drops it, and the next up imports again
        return ReadResult(id_, props)

    def delete(self, _id: str, props: dict) -> None:
        if props.get("delete_policy") == "retain":
            return
        name = props.get("file_name")
        try:
            epm.EpmClient(props["environment_url"]).delete_file(name)
        except ObjectCopyError as e:
            raise Exception(f"EpmObjectStoreImport delete of {name!r} in {props.get('environment_url')}: "
                            f"{e}") from None


# --- the resources -----------------------------------------------------------------------------------------------
def _props(inputs: dict[str, Any], outputs: tuple[str, ...]) -> dict[str, Any]:
    props = {**{o: None for o in outputs}, **inputs}
    for secret in args.SECRET_INPUTS:  # EPM's payload carries it: secret end to end, in state too
        if props.get(secret) is not None:
            props[secret] = pulumi.Output.secret(props[secret])
    return props


class EpmObjectStoreExport(Resource, module="objectcopy", name="EpmObjectStoreExport"):
    """Copies a file or snapshot of an Oracle EPM Cloud environment into an OCI bucket (Copy To Object Store v3),
    and keeps the object there."""

    job_id: pulumi.Output[str]
    object_url: pulumi.Output[str]
    etag: pulumi.Output[str]
    written_etag: pulumi.Output[str]
    size: pulumi.Output[int]
    last_modified: pulumi.Output[str]
    exported_at: pulumi.Output[str]
    key_fingerprint: pulumi.Output[str]

    def __init__(self, resource_name: str, *, environment_url: pulumi.Input[str], file_path: pulumi.Input[str],
                 url: pulumi.Input[str], oci_tenancy: pulumi.Input[str], oci_user: pulumi.Input[str],
                 oci_private_key: pulumi.Input[str], oci_fingerprint: pulumi.Input[str] | None = None,
                 object_profile: pulumi.Input[str] | None = None, delete_policy: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props = _props(dict(environment_url=environment_url, file_path=file_path, url=url, oci_tenancy=oci_tenancy,
                            oci_user=oci_user, oci_fingerprint=oci_fingerprint, oci_private_key=oci_private_key,
                            object_profile=object_profile, delete_policy=delete_policy), args.EXPORT_OUTPUTS)
        super().__init__(EpmObjectStoreExportProvider(), resource_name, props, opts)


class EpmObjectStoreImport(Resource, module="objectcopy", name="EpmObjectStoreImport"):
    """Copies an object from an OCI bucket into an Oracle EPM Cloud environment (Copy From Object Store v3), again
    whenever the object changes (track_source). `file_name` is the name the environment lists the file under
    (default: the object's base name, without the .zip of a snapshot); a new one replaces the import."""

    job_id: pulumi.Output[str]
    file_name: pulumi.Output[str]
    source_etag: pulumi.Output[str | None]
    imported_at: pulumi.Output[str]
    key_fingerprint: pulumi.Output[str]

    def __init__(self, resource_name: str, *, environment_url: pulumi.Input[str], url: pulumi.Input[str],
                 oci_tenancy: pulumi.Input[str], oci_user: pulumi.Input[str], oci_private_key: pulumi.Input[str],
                 oci_fingerprint: pulumi.Input[str] | None = None, object_profile: pulumi.Input[str] | None = None,
                 delete_policy: pulumi.Input[str] | None = None, track_source: pulumi.Input[bool] | None = None,
                 file_name: pulumi.Input[str] | None = None, opts: pulumi.ResourceOptions | None = None) -> None:
        props = _props(dict(environment_url=environment_url, url=url, oci_tenancy=oci_tenancy, oci_user=oci_user,
                            oci_fingerprint=oci_fingerprint, oci_private_key=oci_private_key,
                            object_profile=object_profile, delete_policy=delete_policy, track_source=track_source,
                            file_name=file_name), args.IMPORT_OUTPUTS)
        super().__init__(EpmObjectStoreImportProvider(), resource_name, props, opts)

"""What EpmObjectStoreExport and EpmObjectStoreImport share: Oracle EPM Cloud's Copy To / Copy From Object Store
(v3) as core resources. The EPM calls go through services/epm.py and the one waiter; the objects are reached through
the transfer layer with the OCI store (`object_profile`, or the default OCI configuration).

EPM's own credentials are never inputs: EPM_USERNAME / EPM_PASSWORD or EPM_TOKEN are read at each call.

No EPM call finds a running job, so a create that could not follow its job to the end (status unreadable, timed
out) says so, and the next run starts the copy again: it writes the same object or file. The trigger itself is
sent once (never retried), so one create starts at most one job.

An imported resource (taken over by `import`, no job run) has no `job_id`, and holds only what the import could
see: the inputs it could not see (credentials; the export's file_path, the import's url) are recorded by the first
update, in place, without a job.
"""
from __future__ import annotations

import difflib
from datetime import datetime, timezone
from typing import Any, Mapping

from .. import jobs
from ..errors import Cancelled, ObjectCopyError, UsageError
from ..services import epm
from .api import UNKNOWN, Change, Context, Props, is_unknown
from .epm_schema import environment_url, key_fingerprint
from .schema import ResourceSchema


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def close_matches(name: str, names: list[str]) -> str:
    near = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""


def imported(state: Mapping[str, Any]) -> bool:
    """Taken over by `import`: no job of this resource wrote what it tracks."""
    return not state.get("job_id")


def split_import_id(text: str, second: str, example: str) -> tuple[str, str]:
    """`ENVIRONMENT_URL,<second>`, split at the first comma (an environment's URL holds none)."""
    env, comma, rest = text.partition(",")
    if not comma or not rest.strip():
        raise UsageError(f"import id {text!r}: expected ENVIRONMENT_URL,{second}, such as {example}")
    problem = environment_url(env.strip())
    if problem:
        raise UsageError(f"import id {text!r}: the environment URL {problem}")
    return env.strip(), rest.strip()


class EpmTransfer:
    """The decisions both resources make the same way."""

    schema: ResourceSchema

    @property
    def kind(self) -> str:
        return self.schema.name

    def recorded_inputs(self, state: Mapping[str, Any]) -> Props:
        """The input part of a state (its outputs echo every input but the key)."""
        return {p.name: state.get(p.name) for p in self.schema.props if (p.input and p.echoed) or p.planned}

    def input_changes(self, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> list[Change]:
        """The inputs that differ from what the state records; the key is compared by its fingerprint."""
        changes = [Change(p.name, "recorded: the import could not see it" if state.get(p.name) is None and
                          imported(state) else "")
                   for p in self.schema.inputs if p.echoed and state.get(p.name) != inputs.get(p.name)]
        key, recorded = inputs.get("oci_private_key"), state.get("key_fingerprint")
        if is_unknown(key) or key_fingerprint(key) != recorded:
            changes.append(Change("oci_private_key", f"a new key (fingerprint {recorded} before): recorded, no job "
                                  "is run" if recorded else "the key's fingerprint is recorded, no job is run"))
        return changes

    def replaces(self, state: Mapping[str, Any], changes: list[Change]) -> tuple[str, ...]:
        """The changes that replace the resource. What an imported state does not record (the import could not
        see it) is recorded in place."""
        return tuple(c.property for c in changes if c.property in self.schema.replace_on
                     and not (imported(state) and state.get(c.property) is None))

    def record(self, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> Props:
        """A change that needs no request (credentials, object_profile, delete_policy): recorded for later calls."""
        key = inputs.get("oci_private_key")
        return {**state, **self.schema.echoed_inputs(inputs),
                "key_fingerprint": UNKNOWN if is_unknown(key) else key_fingerprint(key)}

    def credentials(self, inputs: Mapping[str, Any]) -> dict[str, str]:
        """The OCI API key as EPM's payload carries it."""
        pem = str(inputs["oci_private_key"])
        fingerprint = key_fingerprint(pem)
        if fingerprint is None:  # check() refuses such a key; a caller that skipped it gets this
            raise UsageError("oci_private_key does not parse as an unencrypted RSA private key in PEM form")
        return {"tenancy": inputs["oci_tenancy"], "user": inputs["oci_user"], "fingerprint": fingerprint,
                "private_key_pem": pem}

    @staticmethod
    def follow(client: epm.EpmClient, job: str, what: str, ctx: Context, *, again: str,
               file_hint: bool = False) -> None:
        """Follow the job to the end. A failure carries the job's own details; a job this run could not follow
        says that EPM cannot find it again, so the next run starts over (`again` says what that rewrites)."""
        ctx.log("info", f"EPM job {job} started: {what}")
        try:
            client.wait(job, what, cancelled=ctx.cancelled)
        except jobs.JobFailed as e:
            raise jobs.JobFailed(f"{e}{epm.file_field_hint(str(e)) if file_hint else ''}", e.status) from None
        except Cancelled:
            raise
        except ObjectCopyError as e:
            reason = (f"it was still running after {epm.JOB_TIMEOUT / 3600:.0f} h" if isinstance(e, jobs.JobTimedOut)
                      else f"its status could not be read: {e}")
            raise ObjectCopyError(
                f"EPM job {job} ({what}) was started, but {reason}. EPM offers no call to find a running job, so "
                f"this run cannot follow it: the next run starts the copy again ({again})") from None

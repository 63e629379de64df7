"""How `objectcopy cp`'s flags become a copy's inputs, checked by CopiedObject's own rules (one set of rules for the
command and the resource: copy_inputs.check_inputs), and the checks against the stores that are
made before anything is sent. Every failure is a UsageError (exit 2) that names the flag as the user typed it."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from . import transfer
from .inputs import key_problem, parse_size, profile_size_setting, transfer_size_problems
from .copy_inputs import CopiedObjectArgs, check_inputs
from .stores.base import SourceConditions, Store, UsageError, WriteOptions
from .stores.common import parse_user_date
from .urls import ObjectURL

# A copy's inputs (CopiedObject's, and the command's own) as the command line writes them: the one table of names.
FLAGS = {
    "source": "SRC", "destination": "DST", "source_version_id": "--version-id",
    "metadata_directive": "--metadata-directive", "metadata": "--meta", "content_type": "--content-type",
    "cache_control": "--cache-control", "content_disposition": "--content-disposition",
    "content_encoding": "--content-encoding", "tags": "--tags", "tagging_directive": "--tagging-directive",
    "acl": "--acl", "storage_class": "--storage-class", "server_side_encryption": "--server-side-encryption",
    "kms_key_id": "--kms-key-id", "if_match": "--if-match", "if_unmodified_since": "--if-unmodified-since",
    "overwrite": "--no-overwrite", "if_none_match": "--if-none-match", "if_modified_since": "--if-modified-since",
    "dest_if_match": "--dest-if-match",
}
# The command's inputs that CopiedObject does not have.
COMMAND_ONLY = ("if_none_match", "if_modified_since", "dest_if_match")


def flag(prop: str) -> str:
    return FLAGS.get(prop, "--" + prop.replace("_", "-"))


def refuse(problems: list[str]) -> None:
    if problems:
        raise UsageError("; ".join(problems))


def pairs(items: list[str] | None, name: str) -> dict[str, str]:
    """KEY=VALUE flags (repeatable) as a map; the rules for keys and values are check_inputs'."""
    found = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{name}: {item!r} must be KEY=VALUE")
        found[key] = value
    return found


def copy_inputs(args, source: ObjectURL | None, destination: ObjectURL | None) -> dict[str, Any]:
    """The copy's inputs from the flags, checked; without source and destination for a prefix copy."""
    props = {
        "source_version_id": args.version_id, "metadata_directive": args.metadata_directive,
        "metadata": pairs(args.meta, "--meta"), "content_type": args.content_type,
        "cache_control": args.cache_control, "content_disposition": args.content_disposition,
        "content_encoding": args.content_encoding,
        "tags": pairs(args.tags, "--tags") if args.tags is not None else None,
        "tagging_directive": args.tagging_directive, "acl": args.acl, "storage_class": args.storage_class,
        "server_side_encryption": args.server_side_encryption, "kms_key_id": args.kms_key_id,
        "if_match": args.if_match, "if_unmodified_since": args.if_unmodified_since, "overwrite": not args.no_overwrite,
    }
    inputs = {k: v for k, v in CopiedObjectArgs.defaults(props).items() if k not in ("source", "destination")}
    if source is not None:
        inputs.update(source=str(source), destination=str(destination))
    inputs.update({name: getattr(args, name) for name in COMMAND_ONLY})
    refuse([message for _, message in check_inputs(inputs, flag)])
    return inputs


def conditions_and_options(inputs: Mapping[str, Any]) -> tuple[SourceConditions, WriteOptions]:
    args = CopiedObjectArgs.from_props({"source": "", "destination": "", **inputs})
    since = inputs.get("if_modified_since")
    conditions = dataclasses.replace(args.conditions, if_none_match=inputs.get("if_none_match"),
                                     if_modified_since=parse_user_date(since) if since else None)
    return conditions, dataclasses.replace(args.write_options(), dest_if_match=inputs.get("dest_if_match"))


def transfer_config(args) -> transfer.TransferConfig:
    def size(text: str | None, name: str) -> int | None:
        try:
            return None if text is None else parse_size(text)
        except ValueError as e:
            raise UsageError(f"{name}: {e}") from None

    if args.concurrency is not None and args.concurrency < 1:
        raise UsageError(f"--concurrency: {args.concurrency} is no number of requests; give 1 or more")
    return transfer.TransferConfig(
        multipart_threshold=size(args.multipart_threshold, "--multipart-threshold"),
        part_size=size(args.part_size, "--part-size"), concurrency=args.concurrency,
        manifest_copy=getattr(args, "manifest_copy", False))


def store_problems(args, config: transfer.TransferConfig, pair: tuple[tuple[ObjectURL, Store], ...],
                   options: WriteOptions) -> list[str]:
    """What the stores' limits and capabilities refuse, known before any request: names too long, options the
    destination cannot honour, part sizes it does not take (from the flags, or else the destination's profile)."""
    problems = [f"{flag(field)}: {problem}" for field, (url, store) in zip(("source", "destination"), pair)
                if not url.is_prefix and (problem := key_problem(url.scheme, url.key, store.limits))]
    dst, dst_store = pair[-1]
    problems += [f"{flag(name)}: {reason} ({dst})" for name, reason in options.unsupported(dst_store.capabilities)]
    return problems + transfer_size_problems(
        dst.scheme, dst_store.limits, part_size=_size_setting(args.part_size, "--part-size", config.part_size,
                                                               dst_store, "part_size"),
        threshold=_size_setting(args.multipart_threshold, "--multipart-threshold", config.multipart_threshold,
                                dst_store, "multipart_cutoff"))


def _size_setting(text: str | None, name: str, size: int | None, store: Store,
                  field: str) -> tuple[str, str, int] | None:
    return (name, text or str(size), size) if size is not None else profile_size_setting(store, field)


def nested(src: ObjectURL, dst: ObjectURL, src_store: Store, dst_store: Store) -> bool:
    """True when the destination prefix is inside the source prefix, in the same place: every run of a recursive
    copy would then copy its own copies again, one level deeper."""
    here, there = src_store.location(src), dst_store.location(dst)
    if here[:-1] != there[:-1]:
        return False
    src_key, dst_key = here[-1], there[-1]
    return dst_key != src_key and dst_key.startswith(src_key)


def error_json(error: Exception, code: str, exit_code: int, urls: list[str]) -> dict:
    """The JSON a failure prints under --json: `url` is the object URL the error is about, when one is known."""
    message = str(error)
    named = sorted((u for u in urls if u and u in message), key=len, reverse=True)
    url = named[0] if named else (urls[0] if len(urls) == 1 else None)
    return {"error": {"code": code, "message": message, "url": url, "exit_code": exit_code}}


def command_urls(args) -> list[str]:
    """The URLs a command was given, as typed, for error_json."""
    return [getattr(args, name) for name in ("src", "dst", "url", "prefix")
            if isinstance(getattr(args, name, None), str)]

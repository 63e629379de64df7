"""The `objectcopy` command: one-off copies with the same engine the Pulumi resources use.

Exit codes: 0 done, 1 failed, 2 bad usage, 3 a precondition failed (nothing was copied), 4 drift found.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from datetime import datetime

from . import __version__, transfer, urls
from .stores import open_store
from .stores.base import ObjectCopyError, SourceConditions, UsageError, WriteOptions
from .progress import ProgressBar
from .stores.common import parse_user_date

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PRECONDITION, EXIT_DRIFT = 0, 1, 2, 3, 4


def parse_when(text: str, field: str) -> datetime:
    try:
        return parse_user_date(text)
    except ValueError:
        raise UsageError(f"{field}: {text!r} is not a date; use ISO 8601 (2026-10-21T07:28:00Z) or "
                         "RFC 1123 (Wed, 21 Oct 2026 07:28:00 GMT)") from None


def parse_meta(items: list[str]) -> dict[str, str]:
    meta = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--meta: {item!r} must be KEY=VALUE")
        meta[key.strip().lower()] = value
    return meta


def _url(text: str, field: str, **kw) -> urls.ObjectURL:
    try:
        return urls.parse(text, field=field, **kw)
    except urls.URLError as e:
        raise UsageError(str(e)) from None


_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
               "g": 1000**3, "gb": 1000**3, "gib": 1024**3, "t": 1000**4, "tb": 1000**4, "tib": 1024**4}


def parse_size(text: str | None, field: str) -> int | None:
    """`8MiB`, `5GB`, `100M` (decimal), or plain bytes."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _SIZE_UNITS:
        raise UsageError(f"{field}: {text!r} is not a size; use bytes or a unit such as 8MiB, 5GiB, 100MB")
    return int(float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()])


def _transfer_config(args) -> transfer.TransferConfig:
    if args.concurrency is not None and args.concurrency < 1:
        raise UsageError("--concurrency: must be 1 or more")
    return transfer.TransferConfig(
        multipart_threshold=parse_size(args.multipart_threshold, "--multipart-threshold"),
        part_size=parse_size(args.part_size, "--part-size"), concurrency=args.concurrency,
        manifest_copy=getattr(args, "manifest_copy", False))


def cmd_cp(args) -> int:
    if args.recursive:
        return _cp_recursive(args)
    if args.dry_run:
        raise UsageError("--dry-run goes with --recursive")
    src = _url(args.src, "SRC")
    dst = _url(args.dst, "DST", allow_prefix=True)
    if dst.is_prefix:  # `cp s3://a/x.bin file:///tmp/` copies into the folder, keeping the name
        dst = dst.with_key(dst.key + src.basename)
    meta = parse_meta(args.meta)
    conditions = SourceConditions(
        if_match=args.if_match, if_none_match=args.if_none_match,
        if_modified_since=parse_when(args.if_modified_since, "--if-modified-since") if args.if_modified_since else None,
        if_unmodified_since=(parse_when(args.if_unmodified_since, "--if-unmodified-since")
                             if args.if_unmodified_since else None))
    options = WriteOptions(metadata_directive=args.metadata_directive, metadata=meta, content_type=args.content_type,
                           overwrite=not args.no_overwrite, dest_if_match=args.dest_if_match)
    bar = ProgressBar(f"{src.basename}") if sys.stderr.isatty() and not args.json else None
    try:
        result = transfer.copy_object(src, dst, conditions=conditions, options=options,
                                      source_version_id=args.version_id, config=_transfer_config(args),
                                      progress=bar)
    finally:
        if bar:
            bar.finish()
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        d = result.destination
        print(f"copied {result.source.url} -> {d.url} ({d.size} bytes, etag {d.etag}, {result.method})")
    return EXIT_OK


def _cp_recursive(args) -> int:
    from . import batch
    src = _url(args.src, "SRC", allow_prefix=True)
    dst = _url(args.dst, "DST", allow_prefix=True)
    if (args.if_match or args.if_none_match or args.if_modified_since or args.if_unmodified_since or args.version_id
            or args.dest_if_match):
        raise UsageError("--recursive takes no per-object precondition or --version-id")
    options = WriteOptions(metadata_directive=args.metadata_directive, metadata=parse_meta(args.meta),
                           content_type=args.content_type, overwrite=not args.no_overwrite)
    config = _transfer_config(args)

    def say(what: str, src_info, detail: str) -> None:
        if not args.json:
            print(f"{what} {src_info.url} ({detail})", flush=True)

    report = batch.copy_prefix(src, dst, options=options, config=config, concurrency=config.concurrency or 8,
                               dry_run=args.dry_run, on_done=say)
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        for src_info, dst_url in report.planned:
            print(f"would copy {src_info.url} -> {dst_url}")
        print(f"{len(report.copied)} copied, {len(report.skipped)} already in sync, {len(report.failed)} failed"
              + (f", {len(report.planned)} to copy (dry run)" if args.dry_run else ""))
    return EXIT_FAILED if report.failed else EXIT_OK


def cmd_cleanup(args) -> int:
    from . import batch
    prefix = _url(args.url, "URL", allow_prefix=True)  # a key prefix need not end in '/'
    stale = batch.stale_uploads(prefix, batch.parse_age(args.older_than))
    if args.dry_run:
        results = [(u, None) for u in stale]
    else:
        results = batch.abort_uploads(prefix, stale)
    if args.json:
        print(json.dumps([{"url": str(u.url), "upload_id": u.upload_id,
                           "initiated": u.initiated.isoformat() if u.initiated else None, "error": err}
                          for u, err in results]))
    else:
        verb = "would abort" if args.dry_run else "aborted"
        for u, err in results:
            started = u.initiated.strftime("%Y-%m-%d %H:%M") if u.initiated else "at an unknown time"
            print(f"{'failed to abort' if err else verb} {u.url} upload {u.upload_id[:16]}… started {started}"
                  + (f": {err}" if err else ""))
        print(f"{len(results)} stale upload(s) older than {args.older_than}")
    return EXIT_FAILED if any(err for _, err in results) else EXIT_OK


def cmd_head(args) -> int:
    url = _url(args.url, "URL")
    info = open_store(url).head(url, version_id=args.version_id)
    if args.json:
        print(json.dumps(info.to_json()))
    else:
        for key, value in info.to_json().items():
            if value not in (None, {}):
                print(f"{key}: {value}")
    return EXIT_OK


def cmd_rm(args) -> int:
    url = _url(args.url, "URL")
    open_store(url).delete(url, if_match=args.if_match, version_id=args.version_id)
    print(f"deleted {url}")
    return EXIT_OK


def cmd_ls(args) -> int:
    prefix = _url(args.prefix, "URL-PREFIX", allow_prefix=True)
    for info in open_store(prefix).list(prefix):
        if args.json:
            print(json.dumps(info.to_json()))
        else:
            when = info.last_modified.strftime("%Y-%m-%d %H:%M:%S") if info.last_modified else "-" * 19
            print(f"{when} {info.size:>14} {info.etag or '-':<34} {info.url}")
    return EXIT_OK


def cmd_drift(args) -> int:
    from . import drift
    state = drift.load_state_file(args.state) if args.state else drift.load_stack(args.stack)
    findings = drift.check_all(drift.checked_resources(state))
    if args.json:
        print(json.dumps([f.to_json() for f in findings]))
    else:
        kinds = ", ".join(t.rsplit(":", 1)[-1] for t in drift.CHECKERS)
        print(drift.table(findings) if findings else f"nothing to check in this stack: drift checks {kinds} resources")
    statuses = {f.status for f in findings}
    if drift.ERROR in statuses:
        return EXIT_FAILED
    return EXIT_OK if statuses <= {drift.IN_SYNC} else EXIT_DRIFT


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's default must not reset a --verbose given before the subcommand
    common.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
                        help="show each request, secrets redacted")
    parser = argparse.ArgumentParser(prog="objectcopy", parents=[common],
                                     description="Copy objects between S3, Swift and local files.")
    parser.add_argument("--version", action="version", version=f"objectcopy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    cp = sub.add_parser("cp", parents=[common], help="copy one object")
    cp.add_argument("src")
    cp.add_argument("dst")
    cp.add_argument("--if-match", metavar="ETAG", help="copy only if the source has this ETag")
    cp.add_argument("--if-none-match", metavar="ETAG", help="copy only if the source does not have this ETag")
    cp.add_argument("--if-unmodified-since", metavar="DATE", help="RFC 1123 or ISO 8601")
    cp.add_argument("--if-modified-since", metavar="DATE", help="RFC 1123 or ISO 8601")
    cp.add_argument("--metadata-directive", default="COPY", type=str.upper, choices=["COPY", "REPLACE"])
    cp.add_argument("--meta", action="append", metavar="KEY=VALUE", help="user metadata (repeatable)")
    cp.add_argument("--content-type", metavar="TYPE")
    cp.add_argument("--no-overwrite", action="store_true", help="copy only if the destination does not exist")
    cp.add_argument("--dest-if-match", metavar="ETAG",
                    help="copy only if the destination still has this ETag (where the store can make that check)")
    cp.add_argument("--version-id", metavar="ID", help="copy this version of the source")
    cp.add_argument("--part-size", metavar="SIZE", help="bytes per part of a multipart copy (e.g. 64MiB)")
    cp.add_argument("--concurrency", type=int, metavar="N", help="parts (or objects, with --recursive) in flight")
    cp.add_argument("--multipart-threshold", metavar="SIZE",
                    help="copy in parts from this size (default: the store's single-request limit, 5 GiB on S3)")
    cp.add_argument("--manifest-copy", action="store_true",
                    help="Swift: copy a static large object's manifest only, sharing its segments")
    cp.add_argument("--recursive", "-r", action="store_true",
                    help="copy every object under SRC-PREFIX/ to DST-PREFIX/, skipping those already in sync")
    cp.add_argument("--dry-run", action="store_true", help="with --recursive: list what would be copied")
    cp.add_argument("--json", action="store_true")
    cp.set_defaults(func=cmd_cp)

    head = sub.add_parser("head", parents=[common], help="show an object's ETag, size and metadata")
    head.add_argument("url")
    head.add_argument("--version-id", metavar="ID")
    head.add_argument("--json", action="store_true")
    head.set_defaults(func=cmd_head)

    rm = sub.add_parser("rm", parents=[common], help="delete one object")
    rm.add_argument("url")
    rm.add_argument("--if-match", metavar="ETAG", help="delete only if the object still has this ETag")
    rm.add_argument("--version-id", metavar="ID")
    rm.set_defaults(func=cmd_rm)

    ls = sub.add_parser("ls", parents=[common], help="list objects under a prefix")
    ls.add_argument("prefix")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_ls)

    cl = sub.add_parser("cleanup", parents=[common], help="abort stale multipart uploads under a bucket or prefix")
    cl.add_argument("url", metavar="URL-PREFIX")
    cl.add_argument("--older-than", default="1d", metavar="AGE", help="only uploads started this long ago "
                                                                     "(s, m, h, d, w; default 1d)")
    cl.add_argument("--dry-run", action="store_true")
    cl.add_argument("--json", action="store_true")
    cl.set_defaults(func=cmd_cleanup)

    dr = sub.add_parser("drift", parents=[common],
                        help="check a stack's copies, snapshots and EPM transfers: exit 0 in sync, 4 when "
                             "anything drifted, 1 on errors")
    where = dr.add_mutually_exclusive_group()
    where.add_argument("--stack", metavar="NAME", help="read the state with `pulumi stack export` (default stack "
                                                       "if neither option is given)")
    where.add_argument("--state", metavar="FILE", help="a file written by `pulumi stack export`")
    dr.add_argument("--json", action="store_true")
    dr.set_defaults(func=cmd_drift)

    from .sync.command import add_parser as add_sync_parser
    add_sync_parser(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "verbose", False):
        logging.basicConfig(level=logging.DEBUG, format="%(message)s", stream=sys.stderr)
        logging.getLogger("urllib3").setLevel(logging.WARNING)
    try:
        return args.func(args)
    except ObjectCopyError as e:
        print(f"objectcopy: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("objectcopy: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

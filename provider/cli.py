"""The `objectcopy` command: one-off copies with the same engine the Pulumi resources use.

Exit codes: 0 done, 1 failed, 2 bad usage, 3 a precondition failed (nothing was copied), 4 drift found.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading

from . import __version__, cli_inputs, settings, transfer, urls
from .inputs import etag_problem, header_value_problem, human_size, parse_age
from .progress import ProgressBar, ProgressCounter
from .stores import open_store
from .stores.base import NotFound, ObjectCopyError, UsageError, require_etag

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PRECONDITION, EXIT_DRIFT = 0, 1, 2, 3, 4


def _url(text: str, field: str, **kw) -> urls.ObjectURL:
    try:
        return urls.parse(text, field=field, **kw)
    except urls.URLError as e:
        raise UsageError(str(e)) from None


def cmd_cp(args) -> int:
    if args.recursive:
        return _cp_recursive(args)
    src = _url(args.src, "SRC")
    dst = _url(args.dst, "DST", allow_prefix=True)
    if dst.is_prefix:  # `cp s3://a/x.bin file:///tmp/` copies into the folder, keeping the name
        dst = dst.with_key(dst.key + src.basename)
    inputs = cli_inputs.copy_inputs(args, src, dst)
    conditions, options = cli_inputs.conditions_and_options(inputs)
    config = cli_inputs.transfer_config(args)
    stores = (open_store(src), open_store(dst))
    cli_inputs.refuse(cli_inputs.store_problems(args, config, tuple(zip((src, dst), stores)), options))
    bar = ProgressBar(f"{src.basename}") if sys.stderr.isatty() and not args.json and not args.dry_run else None
    try:
        result = transfer.copy_object(src, dst, conditions=conditions, options=options,
                                      source_version_id=args.version_id, config=config, progress=bar,
                                      stores=stores, dry_run=args.dry_run)
    finally:
        if bar:
            bar.finish()
    if args.json:
        print(json.dumps({**result.to_json(), "dry_run": True} if args.dry_run else result.to_json()))
    elif args.dry_run:
        s = result.source
        parts = f" in {result.parts} parts of {human_size(result.part_size)}" if result.parts > 1 else ""
        print(f"would copy {s.url} -> {dst} ({s.size} bytes, etag {s.etag}, {result.method}{parts}); "
              "nothing was written")
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
    inputs = cli_inputs.copy_inputs(args, None, None)
    _, options = cli_inputs.conditions_and_options(inputs)
    config = cli_inputs.transfer_config(args)
    src_store, dst_store = open_store(src), open_store(dst)
    if src.is_prefix and dst.is_prefix and cli_inputs.nested(src, dst, src_store, dst_store):
        raise UsageError(f"DST: {dst} is inside SRC {src}, so every run would copy the copies again, one level "
                         "deeper; choose a destination outside the source")
    cli_inputs.refuse(cli_inputs.store_problems(args, config, ((src, src_store), (dst, dst_store)), options))

    counter = ProgressCounter() if sys.stderr.isatty() and not args.json and not args.dry_run else None

    def say(what: str, src_info, detail: str) -> None:
        if not args.json:
            (counter.say if counter else print)(f"{what} {src_info.url} ({detail})")

    try:
        report = batch.copy_prefix(src, dst, options=options, config=config, concurrency=config.concurrency or 8,
                                   dry_run=args.dry_run, on_done=say, counter=counter)
    finally:
        if counter:
            counter.finish()
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
    try:
        age = parse_age(args.older_than)
    except ValueError as e:
        raise UsageError(f"--older-than: {e}") from None
    stale = batch.stale_uploads(prefix, age)
    if args.dry_run:
        results = [(u, None) for u in stale]
    else:
        results = batch.abort_uploads(prefix, stale)
    if args.json:
        print(json.dumps([{"url": str(u.url), "upload_id": u.upload_id,
                           "initiated": u.initiated.isoformat() if u.initiated else None, "error": err}
                          for u, err in results]))
    elif prefix.scheme == "file":  # our temp files, left by copies killed mid-way
        for u, err in results:
            what = f"{u.url} (a temp file of an interrupted copy, last written {u.initiated:%Y-%m-%d %H:%M})"
            print(f"failed to remove {what}: {err}" if err else f"{'would remove' if args.dry_run else 'removed'} "
                  f"{what}")
        print(f"{len(results)} stale temp file(s) older than {args.older_than}")
    else:
        verb = "would abort" if args.dry_run else "aborted"
        for u, err in results:
            started = u.initiated.strftime("%Y-%m-%d %H:%M") if u.initiated else "at an unknown time"
            print(f"{'failed to abort' if err else verb} {u.url} upload {u.upload_id[:16]}… started {started}"
                  + (f": {err}" if err else ""))
        print(f"{len(results)} stale upload(s) older than {args.older_than}")
    return EXIT_FAILED if any(err for _, err in results) else EXIT_OK


def _version_id(args) -> str | None:
    if args.version_id is not None and (problem := header_value_problem(args.version_id)):
        raise UsageError(f"--version-id: {problem}")
    return args.version_id


def cmd_head(args) -> int:
    url = _url(args.url, "URL")
    info = open_store(url).head(url, version_id=_version_id(args))
    if args.json:
        print(json.dumps(info.to_json()))
    else:
        for key, value in info.to_json().items():
            if value not in (None, {}):
                print(f"{key}: {value}")
    return EXIT_OK


def cmd_rm(args) -> int:
    url, version_id = _url(args.url, "URL"), _version_id(args)
    if args.if_match is not None and (problem := etag_problem(args.if_match)):
        raise UsageError(f"--if-match: {problem}")
    store = open_store(url)
    if not args.dry_run:
        store.delete(url, if_match=args.if_match, version_id=version_id)
        print(f"deleted {url}")
        return EXIT_OK
    try:  # what the delete would find, and whether --if-match holds: nothing is deleted
        info = require_etag(store, url, args.if_match, version_id) if args.if_match is not None \
            else store.head(url, version_id=version_id)
    except NotFound:
        if args.if_match is not None:
            raise
        print(f"would delete nothing: {url} does not exist")
        return EXIT_OK
    print(f"would delete {url} ({info.size} bytes, etag {info.etag}); nothing was deleted")
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
        kinds = drift.kinds()
        print(drift.table(findings) if findings else f"nothing to check in this stack: drift checks {kinds} resources")
    statuses = {f.status for f in findings}
    if drift.ERROR in statuses:
        return EXIT_FAILED
    return EXIT_OK if statuses <= {drift.IN_SYNC} else EXIT_DRIFT


def cmd_terraform_install(args) -> int:
    from pathlib import Path
    from .terraform import install
    mirror = Path(args.mirror).expanduser().resolve()
    platforms = [install.this_platform()] + [p for p in args.platform or [] if p != install.this_platform()]
    try:
        written = install.write_mirror(mirror, platforms)
    except OSError as e:
        raise UsageError(f"--mirror: cannot write into {mirror}: {e.strerror}; choose a folder you can write to") \
            from None
    for launcher in written:
        print(f"wrote {launcher}", file=sys.stderr)
    print(install.cli_config(mirror), end="")
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """A usage error is one line, as every other error (and JSON under --json): main prints it."""

    json_errors = False  # --json is on the command line: set before parsing, for errors found while parsing

    def error(self, message: str):
        raise UsageError(f"{message.removeprefix('argument ')} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    # SUPPRESS: a subcommand's default must not reset a --verbose given before the subcommand
    common.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
                        help="show each request, secrets redacted")
    parser = _Parser(prog="objectcopy", parents=[common],
                     description="Copy and sync objects between S3 and S3-compatibles, Tencent COS, Alibaba OSS, "
                                 "OpenStack Swift, Oracle OCI Object Storage and local files; check a stack for drift.")
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
    cp.add_argument("--meta", action="append", metavar="KEY=VALUE", help="user metadata, lower-case keys (repeatable)")
    cp.add_argument("--content-type", metavar="TYPE")
    cp.add_argument("--cache-control", metavar="VALUE")
    cp.add_argument("--content-disposition", metavar="VALUE")
    cp.add_argument("--content-encoding", metavar="VALUE")
    cp.add_argument("--tags", action="append", metavar="KEY=VALUE",
                    help="object tags, replacing the source's (repeatable; --tagging-directive REPLACE alone clears)")
    cp.add_argument("--tagging-directive", type=str.upper, choices=["COPY", "REPLACE"])
    cp.add_argument("--acl", metavar="CANNED-ACL", help="S3 canned ACL, such as private or bucket-owner-full-control")
    cp.add_argument("--storage-class", metavar="CLASS", help="such as STANDARD_IA (S3) or InfrequentAccess (OCI)")
    cp.add_argument("--server-side-encryption", metavar="ALGORITHM", help="AES256, aws:kms, aws:kms:dsse or SM4 (OSS)")
    cp.add_argument("--kms-key-id", metavar="ID", help="the KMS key (implies aws:kms)")
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
    cp.add_argument("--dry-run", action="store_true",
                    help="say what would be copied, and how, after the source's HEAD and the checks; write nothing")
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
    rm.add_argument("--dry-run", action="store_true", help="say what would be deleted (and check --if-match); "
                                                           "delete nothing")
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

    tf = sub.add_parser("terraform", parents=[common], help="the Terraform provider")
    tf_sub = tf.add_subparsers(dest="terraform_command", required=True)
    tf_install = tf_sub.add_parser("install", parents=[common],
                                   help="write the provider into a filesystem mirror and print the CLI config to use")
    tf_install.add_argument("--mirror", required=True, metavar="DIR",
                            help="the mirror folder (~/.terraform.d/plugins, or any folder)")
    tf_install.add_argument("--platform", action="append", metavar="OS_ARCH",
                            help="also for this platform, e.g. darwin_arm64 (repeatable; default: this machine's)")
    tf_install.set_defaults(func=cmd_terraform_install)
    from .sync.command import add_parser as add_sync_parser
    add_sync_parser(sub, common)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service manager, `kill`, a CI timeout), raised where the copy is so that it cleans up as after ^C."""


def _terminate(_signum, _frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second TERM must not cut the cleanup short
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _Parser.json_errors = "--json" in argv[:argv.index("--")] if "--" in argv else "--json" in argv
    args = None
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "verbose", False):
            logging.basicConfig(level=logging.DEBUG, format="%(message)s", stream=sys.stderr)
            logging.getLogger("urllib3").setLevel(logging.WARNING)
        settings.check_environment()
        return args.func(args)
    except ObjectCopyError as e:
        return _failed(e, type(e).__name__, e.exit_code, args)
    except Terminated:
        print("objectcopy: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("objectcopy: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _failed(error: Exception, code: str, exit_code: int, args) -> int:
    """One line on stderr; under --json, {"error": {...}} on stdout instead."""
    if getattr(args, "json", False) or (args is None and _Parser.json_errors):
        urls_given = cli_inputs.command_urls(args) if args is not None else []
        print(json.dumps(cli_inputs.error_json(error, code, exit_code, urls_given)))
    else:
        print(f"objectcopy: error: {error}", file=sys.stderr)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

"""The copy planner's decisions as a table: a source, the destination store's capabilities and limits, whether both
are one store, options and config -> the method, its parts, their concurrency, what the copy carries over (tags),
and how "overwrite off" is held. No I/O: every row is data."""
from __future__ import annotations

import pytest

from pulumi_objectcopy.stores import cos, memory, oci, oss, swift
from pulumi_objectcopy.stores.base import (Capabilities, GiB, Limits, MiB, ObjectInfo, PreconditionFailed,
                                           SourceConditions, UsageError, WriteOptions)
from pulumi_objectcopy.stores.local import LocalStore
from pulumi_objectcopy.stores.s3 import PROVIDERS
from pulumi_objectcopy.transfer import DestCheck, TransferConfig, plan_copy
from pulumi_objectcopy.transfer.plan import check_source, listing_suffices
from pulumi_objectcopy.urls import parse

S3_LIMITS = Limits(multipart_cutoff=64 * MiB)  # S3Store's, for every provider without a preset
STORES: dict[str, tuple[Capabilities, Limits]] = {
    "aws": (PROVIDERS["aws"], S3_LIMITS), "minio": (PROVIDERS["minio"], S3_LIMITS),
    "swift-s3": (PROVIDERS["swift"], S3_LIMITS), "other": (PROVIDERS["other"], S3_LIMITS),
    "cos": (cos.CAPABILITIES, cos.LIMITS), "oss": (oss.CAPABILITIES, oss.LIMITS), "oci": (oci.CAPABILITIES, oci.LIMITS),
    "swift": (swift.CAPABILITIES, swift.LIMITS), "local": (LocalStore.capabilities, LocalStore.limits),
    "mem": (memory.CAPABILITIES, memory.LIMITS),
}
NO_OVERWRITE, DEFAULTS, NO_CONFIG = WriteOptions(overwrite=False), WriteOptions(), TransferConfig()


def source(size: int, *, composite: str | None = None, key: str = "src") -> ObjectInfo:
    return ObjectInfo(parse(f"s3://bucket/{key}"), size, "0123456789abcdef0123456789abcdef", composite=composite)


def plan(src_store: str, dst_store: str, size: int, *, same: bool | None = None, options=DEFAULTS,
         config=NO_CONFIG, composite: str | None = None, dst_key: str = "dst", version_pinned=False):
    caps, limits = STORES[dst_store]
    return plan_copy(source(size, composite=composite), parse(f"s3://bucket/{dst_key}"),
                     source_caps=STORES[src_store][0], dest_caps=caps, limits=limits,
                     same_store=src_store == dst_store if same is None else same, options=options, config=config,
                     version_pinned=version_pinned)


# (id, src store, dst store, size, options, config) -> (method, parts, concurrency, carry_tags, dest_check)
ROWS = [
    ("one S3 copy below the cutoff", "aws", "aws", 64 * MiB - 1, WriteOptions(), TransferConfig(),
     ("server-side", 0, None, False, DestCheck.NONE)),
    ("S3 parts from the cutoff: 16 at once, the part floor", "aws", "aws", 64 * MiB, WriteOptions(),
     TransferConfig(), ("server-side-multipart", 13, 16, True, DestCheck.NONE)),
    ("Swift has no cutoff: one copy up to its 5 GiB limit", "swift", "swift", 5 * GiB, WriteOptions(),
     TransferConfig(), ("server-side", 0, None, False, DestCheck.NONE)),
    ("Swift above its limit: segments copied in parallel", "swift", "swift", 5 * GiB + 3, WriteOptions(),
     TransferConfig(), ("server-side-multipart", 16, 16, False, DestCheck.NONE)),
    ("OCI copies any size in one request", "oci", "oci", 100 * GiB, WriteOptions(), TransferConfig(),
     ("server-side", 0, None, False, DestCheck.NONE)),
    ("OCI above its copy limit streams (it has no part copy), in as many parts as it takes", "oci", "oci",
     11 * 1024 * GiB, WriteOptions(), TransferConfig(), ("streamed-multipart", 10_000, 8, False, DestCheck.NONE)),
    ("a local file copies itself in one pass", "local", "local", 10 * GiB, WriteOptions(), TransferConfig(),
     ("server-side", 0, None, False, DestCheck.NONE)),
    ("between stores: one streamed request up to 64 MiB", "minio", "swift", 64 * MiB, WriteOptions(),
     TransferConfig(), ("streamed", 0, None, False, DestCheck.NONE)),
    ("between stores above 64 MiB: streamed parts, 8 at once", "local", "aws", 64 * MiB + 1, WriteOptions(),
     TransferConfig(), ("streamed-multipart", 8, 8, False, DestCheck.NONE)),
    ("a streamed copy between tagging stores carries the tags", "cos", "oss", 1 * MiB, WriteOptions(),
     TransferConfig(), ("streamed", 0, None, True, DestCheck.NONE)),
    ("tags given replace the source's: nothing to carry", "mem", "mem", 64 * MiB,
     WriteOptions(tags={"a": "b"}), TransferConfig(), ("server-side-multipart", 13, 16, False, DestCheck.NONE)),
    ("tagging directive REPLACE: nothing to carry", "cos", "oss", 1, WriteOptions(tagging_directive="REPLACE"),
     TransferConfig(), ("streamed", 0, None, False, DestCheck.NONE)),
    ("Swift's s3api has no tags to read", "swift-s3", "aws", 1, WriteOptions(), TransferConfig(),
     ("streamed", 0, None, False, DestCheck.NONE)),
    ("the caller's threshold, part size and concurrency", "minio", "minio", 12 * MiB + 17, WriteOptions(),
     TransferConfig(multipart_threshold=1, part_size=5 * MiB, concurrency=3),
     ("server-side-multipart", 3, 3, True, DestCheck.NONE)),
    # overwrite off: the write's own guard where the store has one, else a HEAD first
    ("AWS guards a copy with if-none-match", "aws", "aws", 1, NO_OVERWRITE, TransferConfig(),
     ("server-side", 0, None, False, DestCheck.STORE)),
    ("MinIO ignores if-none-match on a copy: HEAD first", "minio", "minio", 1, NO_OVERWRITE, TransferConfig(),
     ("server-side", 0, None, False, DestCheck.HEAD)),
    ("MinIO honours it on a write", "local", "minio", 1, NO_OVERWRITE, TransferConfig(),
     ("streamed", 0, None, False, DestCheck.STORE)),
    ("a completed upload is never guarded: HEAD first", "aws", "aws", 64 * MiB, NO_OVERWRITE, TransferConfig(),
     ("server-side-multipart", 13, 16, True, DestCheck.HEAD)),
    ("OSS forbid-overwrite holds only in an unversioned bucket", "oss", "oss", 1, NO_OVERWRITE, TransferConfig(),
     ("server-side", 0, None, False, DestCheck.HEAD_IF_VERSIONED)),
    ("an unknown S3 server guards nothing", "local", "other", 1, NO_OVERWRITE, TransferConfig(),
     ("streamed", 0, None, False, DestCheck.HEAD)),
    ("COS has no conditional write", "local", "cos", 1, NO_OVERWRITE, TransferConfig(),
     ("streamed", 0, None, False, DestCheck.HEAD)),
    ("a local file is linked into place, never over one", "mem", "local", 1, NO_OVERWRITE, TransferConfig(),
     ("streamed", 0, None, False, DestCheck.STORE)),
]


@pytest.mark.parametrize("src_store,dst_store,size,options,config,expected", [r[1:] for r in ROWS],
                         ids=[r[0] for r in ROWS])
def test_the_plan(src_store, dst_store, size, options, config, expected):
    p = plan(src_store, dst_store, size, options=options, config=config)
    assert (p.method, len(p.parts), p.concurrency, p.carry_tags, p.dest_check) == expected
    if p.parts:  # the parts cover the object exactly, in order
        assert p.parts[0].start == 0 and p.parts[-1].end == size - 1 and sum(part.size for part in p.parts) == size


def test_a_swift_manifest_copy_is_planned_only_for_an_slo_in_the_same_account():
    manifest = TransferConfig(manifest_copy=True)
    assert plan("swift", "swift", 10 * GiB, config=manifest, composite="slo").method == "server-side-manifest"
    for _why, kwargs in [("a plain object", {}), ("another store", {"same": False, "composite": "slo"})]:
        with pytest.raises(UsageError, match="manifest copy needs a Swift static large object"):
            plan("swift", "swift", 1, config=manifest, **kwargs)
    with pytest.raises(UsageError):
        plan("minio", "minio", 1, config=manifest, composite="slo")  # S3 has no manifest to copy


def test_a_manifest_copy_with_overwrite_off_heads_the_destination_first():
    """The manifest copy takes no condition on its destination: a HEAD first (before: overwritten regardless)."""
    p = plan("swift", "swift", 1, config=TransferConfig(manifest_copy=True), composite="slo", options=NO_OVERWRITE)
    assert p.dest_check is DestCheck.HEAD


def test_a_copy_onto_itself_needs_replace_or_a_version():
    with pytest.raises(UsageError, match="both source and destination; use metadata directive REPLACE"):
        plan("mem", "mem", 1, dst_key="src")
    assert plan("mem", "mem", 1, dst_key="src", options=WriteOptions(metadata_directive="REPLACE")).method == \
        "server-side"
    assert plan("mem", "mem", 1, dst_key="src", version_pinned=True).method == "server-side"
    assert plan("mem", "local", 1, dst_key="src").method == "streamed"  # same names, other stores


def test_a_store_that_refused_a_server_side_copy_is_planned_as_between_stores():
    """What copy_object plans after CannotCopyHere: the same source and destination, not one store."""
    assert plan("minio", "minio", 1, same=False).method == "streamed"
    refused = plan("minio", "minio", 100 * MiB, same=False, config=TransferConfig(concurrency=4))
    assert (refused.method, len(refused.parts), refused.concurrency) == ("streamed-multipart", 4, 4)


def test_the_profile_fills_what_the_caller_left_unset():
    profile = {"multipart_cutoff": "1", "part_size": str(5 * MiB), "concurrency": "2"}
    config = TransferConfig(part_size=6 * MiB).with_profile_defaults(profile)
    assert config == TransferConfig(multipart_threshold=1, part_size=6 * MiB, concurrency=2)
    assert TransferConfig().with_profile_defaults(None) == TransferConfig()


def test_a_listing_pins_a_single_server_side_copy_without_a_head():
    def suffices(dst_store="mem", size=1, same=True, options=DEFAULTS, config=NO_CONFIG):
        caps, limits = STORES[dst_store]
        return listing_suffices(source(size), parse("s3://bucket/dst"), source_caps=caps, dest_caps=caps,
                                limits=limits, same_store=same, options=options, config=config)
    assert suffices()
    assert not suffices(size=64 * MiB)  # in parts: each part's copy needs the source's metadata sent with it
    assert not suffices(same=False)  # streamed: the write sends the metadata itself
    assert not suffices(options=WriteOptions(metadata={"k": "v"}))  # merged over the source's, which a list lacks
    assert not suffices(options=WriteOptions(metadata_directive="REPLACE"))
    assert not suffices(config=TransferConfig(manifest_copy=True))  # whether it is an SLO is in its HEAD
    assert suffices(dst_store="oci", size=100 * GiB)


def test_the_source_is_the_one_planned_and_meets_the_conditions():
    src = source(1)
    check_source(src, SourceConditions(), None)
    check_source(src, SourceConditions(if_match=src.etag.upper()), f'"{src.etag}"')
    with pytest.raises(PreconditionFailed, match="changed since it was planned"):
        check_source(src, SourceConditions(), "f" * 32)
    with pytest.raises(PreconditionFailed, match="if-none-match"):
        check_source(src, SourceConditions(if_none_match="*"), None)


def test_a_part_size_outside_the_stores_bounds_fails_the_plan():
    with pytest.raises(UsageError, match="outside this store's bounds"):
        plan("oci", "aws", 100 * MiB, config=TransferConfig(part_size=1 * MiB))
    # the same part size never matters to a copy made in one request
    assert plan("oci", "oci", 100 * MiB, config=TransferConfig(part_size=1 * MiB)).method == "server-side"


def test_every_store_can_carry_out_its_plans():
    """A plan names only operations the destination claims: parts only where it takes them."""
    for name, (caps, limits) in STORES.items():
        for same in (True, False):
            p = plan(name, name, 20 * GiB, same=same, config=TransferConfig(multipart_threshold=1))
            if p.method == "server-side-multipart":
                assert caps.multipart_copy, name
            if p.method == "streamed-multipart":
                assert caps.multipart_upload, name
            assert len(p.parts) <= limits.max_parts

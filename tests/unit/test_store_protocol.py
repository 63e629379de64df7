"""A store's optional operations are said one way: each is a protocol, claimed by a flag of its Capabilities, and
asked for through optional() (never a hasattr probe). Every store implements what its capabilities claim."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pulumi_objectcopy.stores import cos, memory, oci, oss, swift
from pulumi_objectcopy.stores.base import (OPERATIONS, TAG_READER, UPLOAD_LISTER, Capabilities, UsageError,
                                           optional, required, unkept_claims)
from pulumi_objectcopy.stores.cos import CosStore
from pulumi_objectcopy.stores.local import LocalStore
from pulumi_objectcopy.stores.memory import MemoryStore
from pulumi_objectcopy.stores.oci import OciStore
from pulumi_objectcopy.stores.oss import OssStore
from pulumi_objectcopy.stores.s3 import PROVIDERS, S3Store
from pulumi_objectcopy.stores.swift import SwiftStore

PROVIDER = Path(__file__).resolve().parents[2] / "provider"
CLAIMS = [*[(S3Store, caps, f"s3 {name}") for name, caps in PROVIDERS.items()],
          (CosStore, cos.CAPABILITIES, "cos"), (OssStore, oss.CAPABILITIES, "oss"), (OciStore, oci.CAPABILITIES, "oci"),
          (SwiftStore, swift.CAPABILITIES, "swift"), (LocalStore, LocalStore.capabilities, "file"),
          (MemoryStore, memory.CAPABILITIES, "mem")]


@pytest.mark.parametrize("cls,caps", [c[:2] for c in CLAIMS], ids=[c[2] for c in CLAIMS])
def test_every_store_implements_what_its_capabilities_claim(cls, caps):
    assert [op.flag for op in OPERATIONS if op.claimed(caps) and not issubclass(cls, op.protocol)] == []


def test_a_claim_without_its_operation_is_found():
    assert unkept_claims(LocalStore(None), Capabilities(multipart_copy=True, tagging=True)) == [
        "multipart_copy", "tagging"]
    assert unkept_claims(MemoryStore(None), memory.CAPABILITIES) == []


def test_an_operation_not_claimed_is_not_offered():
    class Tagless(MemoryStore):
        capabilities = Capabilities(multipart_upload=True)  # its get_tags is there, but not claimed
    store = Tagless(None)
    assert optional(store, TAG_READER) is None and optional(MemoryStore(None), TAG_READER) is not None
    with pytest.raises(UsageError, match="this store has no UploadLister"):
        required(store, UPLOAD_LISTER)


def test_swift_claims_no_upload_listing():
    """A Swift upload is a set of segments, listed nowhere as an upload in progress (it used to list nothing)."""
    assert not swift.CAPABILITIES.list_uploads and not hasattr(SwiftStore, "list_uploads")


@pytest.mark.parametrize("where", ["transfer", "batch.py", "core"])
def test_transfer_batch_and_the_core_never_probe_a_store(where):
    """Optional operations are asked for through optional(): no hasattr anywhere above the stores."""
    root = PROVIDER / where
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    probes = [f"{f.relative_to(PROVIDER)}:{node.lineno}" for f in files for node in ast.walk(ast.parse(f.read_text()))
              if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "hasattr"]
    assert files and probes == []

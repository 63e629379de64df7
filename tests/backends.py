"""One Backend class per store under test, registered in BACKENDS: each makes its bucket (its server started by a
session fixture) and sets up and checks objects through the vendor's own client (boto3, swiftclient, qcloud_cos,
oss2, the OCI emulator's control API), never ours. A new store adds one class here and one line in BACKENDS.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

MINIO_ENDPOINT = "http://127.0.0.1:19000"
SWIFT_S3_ENDPOINT = "http://127.0.0.1:18080"
SWIFT_AUTH = "http://127.0.0.1:18080/auth/v1.0"
COS_REGION, OSS_REGION = "ap-guangzhou", "cn-hangzhou"
EMULATOR_KEYS = {"cos": ("AKIDobjectcopyTEST", "cos-test-secret"), "oss": ("LTAIobjectcopyTEST", "oss-test-secret")}


@dataclass
class Backend:
    """One store under test. `url(key)` is what a user types; the other methods use the vendor's client."""

    name: str
    scheme: ClassVar[str]
    profile: str | None
    bucket: str
    client: Any = None
    root: Path | None = None
    # named gaps: test name fragment -> reason
    gaps: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, name: str, request: Any, tmp_path_factory: Any) -> Backend:
        """The backend with a fresh bucket of its own, its server running."""
        raise NotImplementedError

    def url(self, key: str) -> str:
        who = f"{self.profile}@" if self.profile else ""
        return f"{self.scheme}://{who}{self.bucket}/{key}"

    def skip_gap(self, what: str) -> None:
        if what in self.gaps:
            pytest.skip(f"{self.name}: {self.gaps[what]}")

    def put(self, key: str, data: bytes, *, meta: dict | None = None, content_type: str | None = None) -> str:
        """Write an object; its ETag as the store spells it."""
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        raise NotImplementedError

    def head(self, key: str) -> dict:
        """{'etag', 'md5', 'size', 'content_type', 'meta'} as the vendor client reports it."""
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        try:
            self.head(key)
            return True
        except Exception as e:  # boto3, swiftclient, qcloud_cos and oss2 errors all carry the 404 somewhere
            status = getattr(e, "http_status", None) or getattr(e, "status", None) or (
                e.get_status_code() if hasattr(e, "get_status_code") else None) or getattr(e, "response", {}).get(
                "ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404:
                return False
            raise

    def put_carrying(self, key: str, data: bytes, *, content_type: str, headers: dict[str, str],
                     metadata: dict[str, str], tags: dict[str, str] | None) -> None:
        """Write an object with every attribute a copy should carry: content type and headers, metadata, tags."""
        raise NotImplementedError

    def read_carried(self, key: str, header_names: list[str]) -> dict:
        """{'content_type', 'headers', 'metadata', 'tags'} as the vendor's client reports them (tags: None where
        the store has none)."""
        raise NotImplementedError

    def uploads_left(self, prefix: str) -> list:
        """Uploads in progress (or their leftovers: Swift segments, local temp files) under `prefix`."""
        raise NotImplementedError


def _tag_query(tags: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in tags.items())


def _boto3(endpoint: str, key: str, secret: str) -> Any:
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name="us-east-1", config=Config(s3={"addressing_style": "path"},
                                                               retries={"max_attempts": 2}))


class S3Backend(Backend):
    """MinIO, or Swift's s3api, through boto3."""

    scheme = "s3"
    ENDPOINTS: ClassVar[dict[str, tuple[str, str, str, str]]] = {  # name -> endpoint, key, secret, profile
        "minio": (MINIO_ENDPOINT, "minioadmin", "minioadmin", "minio"),
        "swift-s3": (SWIFT_S3_ENDPOINT, "test:tester", "testing", "swifts3")}
    GAPS: ClassVar[dict[str, dict[str, str]]] = {
        "minio": {"leading-slash": "MinIO rejects object names with an empty path segment (XMinioInvalidObjectName)"},
        "swift-s3": {"tagging": "Swift's s3api answers 501 to object tagging"}}

    @classmethod
    def create(cls, name: str, request: Any, tmp_path_factory: Any) -> Backend:
        request.getfixturevalue("minio_server" if name == "minio" else "swift_server")
        endpoint, key, secret, profile = cls.ENDPOINTS[name]
        client = _boto3(endpoint, key, secret)
        bucket = f"oc-{name.replace('-', '')}-{uuid.uuid4().hex[:8]}"
        client.create_bucket(Bucket=bucket)
        return cls(name, profile, bucket, client, gaps=dict(cls.GAPS[name]))

    def put(self, key: str, data: bytes, *, meta: dict | None = None, content_type: str | None = None) -> str:
        kw = {"ContentType": content_type} if content_type else {}
        r = self.client.put_object(Bucket=self.bucket, Key=key, Body=data, Metadata=meta or {}, **kw)
        return r["ETag"].strip('"')

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def head(self, key: str) -> dict:
        r = self.client.head_object(Bucket=self.bucket, Key=key)
        return {"etag": r["ETag"].strip('"'), "md5": r["ETag"].strip('"'), "size": r["ContentLength"],
                "content_type": r.get("ContentType"),
                "meta": {k.lower(): v for k, v in r.get("Metadata", {}).items()}}

    def put_carrying(self, key: str, data: bytes, *, content_type: str, headers: dict[str, str],
                     metadata: dict[str, str], tags: dict[str, str] | None) -> None:
        extra = {"Tagging": _tag_query(tags)} if tags else {}
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, Metadata=metadata,
                               CacheControl=headers["Cache-Control"],
                               ContentDisposition=headers["Content-Disposition"],
                               ContentEncoding=headers["Content-Encoding"], **extra)

    def read_carried(self, key: str, header_names: list[str]) -> dict:
        h = self.client.head_object(Bucket=self.bucket, Key=key)
        fields = {"Cache-Control": "CacheControl", "Content-Disposition": "ContentDisposition",
                  "Content-Encoding": "ContentEncoding"}
        tags = None if "tagging" in self.gaps else {
            t["Key"]: t["Value"] for t in self.client.get_object_tagging(Bucket=self.bucket, Key=key)["TagSet"]}
        return {"content_type": h.get("ContentType"), "metadata": h.get("Metadata", {}), "tags": tags,
                "headers": {name: h.get(fields[name]) for name in header_names}}

    def uploads_left(self, prefix: str) -> list:
        # no Prefix: MinIO matches it only against an exact key
        uploads = self.client.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
        return [u for u in uploads if u["Key"].startswith(prefix)]


class SwiftBackend(Backend):
    scheme = "swift"

    @classmethod
    def create(cls, name: str, request: Any, tmp_path_factory: Any) -> Backend:
        import swiftclient
        request.getfixturevalue("swift_server")
        client = swiftclient.Connection(authurl=SWIFT_AUTH, user="test:tester", key="testing", retries=1)
        container = f"oc-swift-{uuid.uuid4().hex[:8]}"
        client.put_container(container)
        return cls(name, "swift", container, client)

    def put(self, key: str, data: bytes, *, meta: dict | None = None, content_type: str | None = None) -> str:
        headers = {f"X-Object-Meta-{k}": v for k, v in (meta or {}).items()}
        return self.client.put_object(self.bucket, key, data, content_type=content_type,
                                      headers=headers).strip('"')

    def get(self, key: str) -> bytes:
        return self.client.get_object(self.bucket, key)[1]

    def head(self, key: str) -> dict:
        h = self.client.head_object(self.bucket, key)
        return {"etag": h["etag"].strip('"'), "md5": h["etag"].strip('"'), "size": int(h["content-length"]),
                "content_type": h.get("content-type"),
                "meta": {k[14:]: v for k, v in h.items() if k.startswith("x-object-meta-")}}

    def put_carrying(self, key: str, data: bytes, *, content_type: str, headers: dict[str, str],
                     metadata: dict[str, str], tags: dict[str, str] | None) -> None:
        self.client.put_object(self.bucket, key, data, content_type=content_type,
                               headers={**headers, **{f"X-Object-Meta-{k}": v for k, v in metadata.items()}})

    def read_carried(self, key: str, header_names: list[str]) -> dict:
        return _carried_from_headers(self.client.head_object(self.bucket, key), "x-object-meta-", None, header_names)

    def uploads_left(self, prefix: str) -> list:
        import swiftclient
        try:
            _, listing = self.client.get_container(self.bucket + "_segments", prefix=prefix)
        except swiftclient.ClientException as e:
            if e.http_status == 404:
                return []
            raise
        return listing


def _carried_from_headers(raw: Any, meta_prefix: str, tags: dict[str, str] | None, header_names: list[str]) -> dict:
    h = {k.lower(): v for k, v in raw.items()}
    return {"content_type": h.get("content-type"), "tags": tags,
            "metadata": {k[len(meta_prefix):]: v for k, v in h.items() if k.startswith(meta_prefix)},
            "headers": {name: h.get(name.lower()) for name in header_names}}


class CosBackend(Backend):
    """Tencent COS's emulator, through qcloud_cos."""

    scheme = "cos"

    @classmethod
    def create(cls, name: str, request: Any, tmp_path_factory: Any) -> Backend:
        from qcloud_cos import CosConfig, CosS3Client
        emu = request.getfixturevalue("emulators")["cos"]
        bucket = f"oc-cos-{uuid.uuid4().hex[:8]}-1250000000"
        emu.store.create_bucket(bucket)
        client = CosS3Client(CosConfig(Region=COS_REGION, SecretId=EMULATOR_KEYS["cos"][0],
                                       SecretKey=EMULATOR_KEYS["cos"][1], Scheme="http", IP="127.0.0.1",
                                       Port=emu.port), retry=0)
        return cls(name, "cos", bucket, client)

    def put(self, key: str, data: bytes, *, meta: dict | None = None, content_type: str | None = None) -> str:
        kw = {"ContentType": content_type} if content_type else {}
        r = self.client.put_object(Bucket=self.bucket, Key=key, Body=data,
                                   Metadata={f"x-cos-meta-{k}": v for k, v in (meta or {}).items()}, **kw)
        return r["ETag"].strip('"')

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].get_raw_stream().read()

    def head(self, key: str) -> dict:
        return _head_from_headers(self.client.head_object(Bucket=self.bucket, Key=key), "x-cos-meta-")

    def put_carrying(self, key: str, data: bytes, *, content_type: str, headers: dict[str, str],
                     metadata: dict[str, str], tags: dict[str, str] | None) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
                               Tagging=_tag_query(tags or {}),
                               Metadata={f"x-cos-meta-{k}": v for k, v in metadata.items()},
                               CacheControl=headers["Cache-Control"], ContentDisposition=headers["Content-Disposition"],
                               ContentEncoding=headers["Content-Encoding"])

    def read_carried(self, key: str, header_names: list[str]) -> dict:
        tagged = self.client.get_object_tagging(Bucket=self.bucket, Key=key).get("TagSet", {}).get("Tag", [])
        return _carried_from_headers(self.client.head_object(Bucket=self.bucket, Key=key), "x-cos-meta-",
                                     {t["Key"]: t["Value"] for t in tagged}, header_names)

    def uploads_left(self, prefix: str) -> list:
        uploads = self.client.list_multipart_uploads(Bucket=self.bucket).get("Upload", [])
        return [u for u in uploads if u["Key"].startswith(prefix)]


def _head_from_headers(raw: Any, meta_prefix: str) -> dict:
    h = {k.lower(): v for k, v in raw.items()}
    etag = h["etag"].strip('"')
    return {"etag": etag, "md5": etag.lower(), "size": int(h["content-length"]), "content_type": h.get("content-type"),
            "meta": {k[len(meta_prefix):]: v for k, v in h.items() if k.startswith(meta_prefix)}}


class OssBackend(Backend):
    """Alibaba OSS's emulator, through oss2."""

    scheme = "oss"

    @classmethod
    def create(cls, name: str, request: Any, tmp_path_factory: Any) -> Backend:
        import oss2
        emu = request.getfixturevalue("emulators")["oss"]
        bucket = f"oc-oss-{uuid.uuid4().hex[:8]}"
        emu.store.create_bucket(bucket)
        return cls(name, "oss", bucket, oss2.Bucket(oss2.Auth(*EMULATOR_KEYS["oss"]), emu.endpoint, bucket))

    def put(self, key: str, data: bytes, *, meta: dict | None = None, content_type: str | None = None) -> str:
        headers = {f"x-oss-meta-{k}": v for k, v in (meta or {}).items()}
        if content_type:
            headers["Content-Type"] = content_type
        return self.client.put_object(key, data, headers=headers).etag.strip('"')  # upper case, as OSS spells it

    def get(self, key: str) -> bytes:
        return self.client.get_object(key).read()

    def head(self, key: str) -> dict:
        return _head_from_headers(self.client.head_object(key).headers, "x-oss-meta-")

    def put_carrying(self, key: str, data: bytes, *, content_type: str, headers: dict[str, str],
                     metadata: dict[str, str], tags: dict[str, str] | None) -> None:
        self.client.put_object(key, data, headers={"Content-Type": content_type, **headers,
                                                   "x-oss-tagging": _tag_query(tags or {}),
                                                   **{f"x-oss-meta-{k}": v for k, v in metadata.items()}})

    def read_carried(self, key: str, header_names: list[str]) -> dict:
        return _carried_from_headers(self.client.head_object(key).headers, "x-oss-meta-",
                                     dict(self.client.get_object_tagging(key).tag_set.tagging_rule), header_names)

    def uploads_left(self, prefix: str) -> list:
        return [u for u in self.client.list_multipart_uploads().upload_list if u.key.startswith(prefix)]


class OciBackend(Backend):
    """OCI Object Storage's emulator, through its control API (`bucket` is namespace/bucket)."""

    scheme = "oci"

    @classmethod
    def create(cls, name: str, request: Any, tmp_path_factory: Any) -> Backend:
        emu = request.getfixturevalue("oci_emulator")
        bucket = f"oc-oci-{uuid.uuid4().hex[:8]}"
        emu.create_bucket(bucket)
        return cls(name, "oci", f"{emu.namespace}/{bucket}", emu, gaps={
            "content-type": "OCI CopyObject keeps the source's content type (it has no field for another)"})

    @property
    def _bucket_name(self) -> str:
        return self.bucket.split("/")[1]

    def put(self, key: str, data: bytes, *, meta: dict | None = None, content_type: str | None = None) -> str:
        return self.client.put_object(self._bucket_name, key, data, content_type=content_type,
                                      metadata=meta or {})["etag"]

    def get(self, key: str) -> bytes:
        return self.client.get_object(self._bucket_name, key)["data"]

    def head(self, key: str) -> dict:
        o = self.client.get_object(self._bucket_name, key)
        return {"etag": o["etag"], "size": o["size"], "content_type": o.get("contentType"),
                "meta": dict(o.get("metadata") or {}), "md5": hashlib.md5(o["data"]).hexdigest()}

    def exists(self, key: str) -> bool:
        from tests.emulators.oci import ControlError
        try:
            self.client.get_object(self._bucket_name, key)
            return True
        except ControlError as e:
            if e.status == 404:
                return False
            raise

    def put_carrying(self, key: str, data: bytes, *, content_type: str, headers: dict[str, str],
                     metadata: dict[str, str], tags: dict[str, str] | None) -> None:
        self.client.put_object(self._bucket_name, key, data, content_type=content_type, metadata=metadata,
                               headers={k.lower(): v for k, v in headers.items()})

    def read_carried(self, key: str, header_names: list[str]) -> dict:
        o = self.client.get_object(self._bucket_name, key)
        return {"content_type": o["contentType"], "metadata": o["metadata"], "tags": None,
                "headers": {name: o["headers"].get(name.lower()) for name in header_names}}

    def uploads_left(self, prefix: str) -> list:
        # the service's own listing of uploads in progress
        from pulumi_objectcopy.stores import open_store
        from pulumi_objectcopy.urls import parse
        url = parse(self.url(prefix), allow_prefix=True)
        return list(open_store(url).list_uploads(url))


class LocalBackend(Backend):
    """Local files, under a temp folder. Plain files carry no metadata: only objectcopy's own extended attribute
    does, which LocalStore reads and writes (there is no other client)."""

    scheme = "file"

    @classmethod
    def create(cls, name: str, request: Any, tmp_path_factory: Any) -> Backend:
        return cls(name, None, "", root=tmp_path_factory.mktemp("local-store"),
                   gaps={"leading-slash": "a path cannot hold an empty segment: '//x' is '/x' on POSIX"})

    def url(self, key: str) -> str:
        return f"file://{self.root}/{key}"

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key

    def put(self, key: str, data: bytes, *, meta: dict | None = None, content_type: str | None = None) -> str:
        # local files carry metadata in an xattr only when written by objectcopy; plain files have none
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return hashlib.md5(data).hexdigest()

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def _info(self, key: str) -> Any:
        from pulumi_objectcopy.stores.local import LocalStore
        from pulumi_objectcopy.urls import parse
        return LocalStore(None).head(parse(self.url(key)))

    def head(self, key: str) -> dict:
        info = self._info(key)
        return {"etag": info.etag, "md5": info.etag, "size": info.size, "content_type": info.content_type,
                "meta": dict(info.metadata)}

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def put_carrying(self, key: str, data: bytes, *, content_type: str, headers: dict[str, str],
                     metadata: dict[str, str], tags: dict[str, str] | None) -> None:
        from pulumi_objectcopy.stores.base import WriteOptions
        from pulumi_objectcopy.stores.local import LocalStore
        from pulumi_objectcopy.urls import parse
        LocalStore(None).write(parse(self.url(key)), data, len(data), options=WriteOptions(
            metadata_directive="REPLACE", metadata=metadata, content_type=content_type, headers=headers))

    def read_carried(self, key: str, header_names: list[str]) -> dict:
        info = self._info(key)
        return {"content_type": info.content_type, "metadata": dict(info.metadata), "tags": None,
                "headers": {name: info.headers.get(name) for name in header_names}}

    def uploads_left(self, prefix: str) -> list:
        return list(self._path("").rglob(".objectcopy-tmp-*"))


class MemoryBackend(Backend):
    """The in-memory store (`mem://`), through its own test client (memory.put_object, stored, uploads), which
    reads and writes its objects apart from the Store protocol under test. Its objects live in this process."""

    scheme = "mem"

    @classmethod
    def create(cls, name: str, request: Any, tmp_path_factory: Any) -> Backend:
        from pulumi_objectcopy.stores import memory
        bucket = f"oc-mem-{uuid.uuid4().hex[:8]}"
        memory.create_bucket(bucket)
        return cls(name, "mem", bucket, memory, gaps={
            "cli": "objects in memory live in this test process; the objectcopy command runs in another",
            "http-counted": "the memory store sends no HTTP request, so none can be counted at a proxy"})

    def _stored(self, key: str) -> Any:
        obj = self.client.stored(self.bucket, key)
        if obj is None:
            raise KeyError(f"{self.url(key)}: no such object")
        return obj

    def put(self, key: str, data: bytes, *, meta: dict | None = None, content_type: str | None = None) -> str:
        return self.client.put_object(self.bucket, key, data, content_type=content_type, metadata=meta).etag

    def get(self, key: str) -> bytes:
        return self._stored(key).data

    def head(self, key: str) -> dict:
        obj = self._stored(key)
        return {"etag": obj.etag, "md5": hashlib.md5(obj.data).hexdigest(), "size": len(obj.data),
                "content_type": obj.content_type, "meta": dict(obj.metadata)}

    def exists(self, key: str) -> bool:
        return self.client.stored(self.bucket, key) is not None

    def put_carrying(self, key: str, data: bytes, *, content_type: str, headers: dict[str, str],
                     metadata: dict[str, str], tags: dict[str, str] | None) -> None:
        self.client.put_object(self.bucket, key, data, content_type=content_type, metadata=metadata,
                               headers=headers, tags=tags)

    def read_carried(self, key: str, header_names: list[str]) -> dict:
        obj = self._stored(key)
        return {"content_type": obj.content_type, "metadata": dict(obj.metadata), "tags": dict(obj.tags),
                "headers": {name: obj.headers.get(name) for name in header_names}}

    def uploads_left(self, prefix: str) -> list:
        return [u for u in self.client.uploads(self.bucket) if u.url.key.startswith(prefix)]


# name -> the class that makes it: the one place a store under test is registered
BACKENDS: dict[str, type[Backend]] = {
    "minio": S3Backend, "swift-s3": S3Backend, "swift": SwiftBackend, "local": LocalBackend, "cos": CosBackend,
    "oss": OssBackend, "oci": OciBackend, "memory": MemoryBackend,
}

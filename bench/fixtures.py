"""Servers, profiles, test objects and process measurement for bench/run.py."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("OBJECTCOPY_CACHE") or Path.home() / ".cache" / "objectcopy")
RUN_DIR = Path(os.environ.get("OBJECTCOPY_RUN") or CACHE / "run")
MiB, GiB = 1 << 20, 1 << 30
BUCKET = "objectcopy-bench"
PREFIX = "bench/"
SEED_SIZE = 256 * MiB  # large objects are assembled server-side from parts copied out of this one seed


@dataclass(frozen=True)
class Store:
    """One S3 endpoint as every contender needs to be told about it."""
    name: str          # our profile name, also the rclone remote name
    endpoint: str
    key: str
    secret: str
    provider: str      # our profile's `provider`
    rclone_provider: str

    def boto3(self, pool: int = 10) -> Any:
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=self.key, aws_secret_access_key=self.secret,
                            config=Config(s3={"addressing_style": "path"}, max_pool_connections=pool,
                                          retries={"max_attempts": 5}))

    def env(self) -> dict[str, str]:
        """Environment for every contender on this store: boto3/s5cmd read AWS_*, our profile reads
        BENCH_<NAME>_*, rclone reads RCLONE_CONFIG_<NAME>_* (so no rclone.conf is written)."""
        n = self.name.upper()
        return {
            "AWS_ACCESS_KEY_ID": self.key, "AWS_SECRET_ACCESS_KEY": self.secret, "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            f"BENCH_{n}_KEY": self.key, f"BENCH_{n}_SECRET": self.secret,
            f"RCLONE_CONFIG_{n}_TYPE": "s3", f"RCLONE_CONFIG_{n}_PROVIDER": self.rclone_provider,
            f"RCLONE_CONFIG_{n}_ACCESS_KEY_ID": self.key, f"RCLONE_CONFIG_{n}_SECRET_ACCESS_KEY": self.secret,
            f"RCLONE_CONFIG_{n}_ENDPOINT": self.endpoint, f"RCLONE_CONFIG_{n}_REGION": "us-east-1",
            f"RCLONE_CONFIG_{n}_FORCE_PATH_STYLE": "true",
        }

    def profile_toml(self) -> str:
        n = self.name.upper()
        return (f'[profiles.{self.name}]\nscheme = "s3"\nendpoint = "{self.endpoint}"\nprovider = "{self.provider}"\n'
                f'addressing = "path"\nregion = "us-east-1"\naccess_key_id_env = "BENCH_{n}_KEY"\n'
                f'secret_access_key_env = "BENCH_{n}_SECRET"\n')


MINIO = Store("bench", "http://127.0.0.1:19000", "minioadmin", "minioadmin", "minio", "Minio")
# The same MinIO under another host name: another endpoint, so our code (store identity = endpoint + key) and
# rclone (different remotes) must stream between the two instead of copying server-side.
MINIO_OTHER = Store("benchother", "http://localhost:19000", "minioadmin", "minioadmin", "minio", "Minio")
SWIFT = Store("benchswift", "http://127.0.0.1:18080", "test:tester", "testing", "swift", "Other")


def proxied(store: Store, url: str) -> Store:
    return Store("benchproxy", url, store.key, store.secret, store.provider, store.rclone_provider)


def write_profiles(path: Path, stores: list[Store]) -> None:
    path.write_text("\n".join(s.profile_toml() for s in stores))


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# MinIO moves deleted objects to .minio.sys/tmp/.trash and empties it every 5 minutes by default; case 2 alone
# deletes 5 x 4 x 6 GiB of copies in less time than that. scripts/minio.sh passes the environment through, so a
# MinIO started by the benchmark empties it every 10 s. A MinIO already running keeps its own interval, which
# is why free space is also waited for (wait_free).
MINIO_ENV = {"MINIO_API_DELETE_CLEANUP_INTERVAL": "10s"}


def start_server(script: str) -> None:
    t0 = time.monotonic()
    env = {**os.environ, **(MINIO_ENV if script == "minio.sh" else {})}
    subprocess.run([str(ROOT / "scripts" / script), "start"], check=True, env=env)
    log(f"{script} start took {time.monotonic() - t0:.1f} s")


def _data_path() -> Path:
    return RUN_DIR if RUN_DIR.exists() else CACHE if CACHE.exists() else Path.home()


def free_bytes() -> int:
    """Free space where MinIO keeps its data (the run dir), which is what large objects consume."""
    return shutil.disk_usage(_data_path()).free


def trash_bytes() -> int:
    """Space MinIO will give back when it empties its trash (deleted objects not yet removed)."""
    total = 0
    for root, _, files in os.walk(RUN_DIR / "minio" / "data" / ".minio.sys" / "tmp"):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass  # removed while we walked
    return total


def wait_free(need: int, timeout: float = 400) -> bool:
    """True once `need` bytes are free. If MinIO's trash holds enough to make up the difference, wait for it to
    be emptied (one default cleanup interval is 5 min); otherwise give up at once."""
    deadline = time.monotonic() + timeout
    said = False
    while (free := free_bytes()) < need:
        if free + trash_bytes() < need or time.monotonic() > deadline:
            return False
        if not said:
            log(f"waiting for MinIO to empty its trash: {free / GiB:.1f} GiB free, {need / GiB:.1f} GiB needed")
            said = True
        time.sleep(5)
    return True


def ensure_bucket(client: Any, bucket: str = BUCKET) -> None:
    try:
        client.head_bucket(Bucket=bucket)
    except Exception:  # noqa: BLE001 - botocore's ClientError for 404, or the bucket exists under another owner
        client.create_bucket(Bucket=bucket)


class RepeatReader:
    """`size` bytes of a repeating pseudo-random block, produced on read, never held whole in memory."""

    def __init__(self, size: int, block: bytes):
        self.size, self.block, self.pos = size, block, 0

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.pos
        n = left if n is None or n < 0 else min(n, left)
        if n <= 0:
            return b""
        off = self.pos % len(self.block)
        out = (self.block[off:] + self.block * (n // len(self.block) + 1))[:n]
        self.pos += n
        return out


def object_size(client: Any, key: str, bucket: str = BUCKET) -> int | None:
    try:
        return int(client.head_object(Bucket=bucket, Key=key)["ContentLength"])
    except Exception:  # noqa: BLE001 - missing object
        return None


def _size_ok(client: Any, key: str, size: int) -> bool:
    return object_size(client, key) == size


def ensure_object(client: Any, key: str, size: int) -> None:
    """Create `key` of `size` bytes once (reused if already there). Up to SEED_SIZE it is uploaded from a
    repeating buffer; above, it is assembled server-side by UploadPartCopy from the seed, so a 10 GiB object costs
    the client a few KB instead of 10 GiB of upload and never sits in memory."""
    if _size_ok(client, key, size):
        return
    t0 = time.monotonic()
    block = os.urandom(4 * MiB)
    if size <= SEED_SIZE:
        client.upload_fileobj(RepeatReader(size, block), BUCKET, key)
    else:
        seed = PREFIX + "seed"
        if not _size_ok(client, seed, SEED_SIZE):
            client.upload_fileobj(RepeatReader(SEED_SIZE, block), BUCKET, seed)
        up = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
        nparts = -(-size // SEED_SIZE)

        def part(i: int) -> dict:
            length = min(SEED_SIZE, size - i * SEED_SIZE)
            r = client.upload_part_copy(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=i + 1,
                                        CopySource={"Bucket": BUCKET, "Key": seed},
                                        CopySourceRange=f"bytes=0-{length - 1}")
            return {"PartNumber": i + 1, "ETag": r["CopyPartResult"]["ETag"]}

        try:
            with ThreadPoolExecutor(4) as pool:
                parts = list(pool.map(part, range(nparts)))
            client.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up, MultipartUpload={"Parts": parts})
        except BaseException:
            client.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up)
            raise
    log(f"created s3://{BUCKET}/{key} ({size / MiB:.0f} MiB) in {time.monotonic() - t0:.1f} s")


def ensure_small(client: Any, prefix: str, n: int, size: int) -> None:
    have = {o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
            for o in page.get("Contents", [])}
    body = os.urandom(size)
    missing = [f"{prefix}{i:05d}" for i in range(n) if f"{prefix}{i:05d}" not in have]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: client.put_object(Bucket=BUCKET, Key=k, Body=body), missing))
    if missing:
        log(f"created {len(missing)} small objects under {prefix}")


def delete_prefix(client: Any, prefix: str, bucket: str = BUCKET, keep: tuple[str, ...] = ()) -> int:
    """Delete every object (and abort every upload) under `prefix` but those under `keep`; returns how many
    objects went."""
    n = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", []) if not o["Key"].startswith(keep or ("\0",))]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            n += len(keys)
    try:
        for u in client.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", []):
            client.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])
    except Exception:  # noqa: BLE001 - not every server lists uploads
        pass
    return n


def delete_key(client: Any, key: str, bucket: str = BUCKET) -> None:
    try:
        client.delete_object(Bucket=bucket, Key=key)
    except Exception:  # noqa: BLE001 - already gone
        pass


# --- running one measured process -----------------------------------------------------------------------------
def _vm_hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def measure(cmd: list[str], env: dict[str, str], timeout: float) -> dict:
    """Run `cmd`, return wall/CPU/peak RSS of that process alone, plus its JSON line if it printed one.

    Peak RSS is polled from /proc/<pid>/status VmHWM (or reported by bench/worker.py itself), not taken from
    wait4's ru_maxrss: a child spawned by fork/vfork+exec inherits this harness's high-water mark into
    ru_maxrss, which would inflate small peaks. CPU comes from wait4, which is per child and not polluted."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=ROOT)
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()), daemon=True)
               for s, b in ((p.stdout, out), (p.stderr, err))]
    for r in readers:
        r.start()
    hwm = 0
    done = threading.Event()
    timed_out = False

    def poll() -> None:
        nonlocal hwm, timed_out
        while not done.wait(0.02):
            hwm = max(hwm, _vm_hwm(p.pid))
            if time.perf_counter() - t0 > timeout:
                timed_out = True
                p.kill()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    poller.join()
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from trying again
    for r in readers:
        r.join()
    stdout = b"".join(out).decode(errors="replace")
    stderr = b"".join(err).decode(errors="replace")
    rec: dict[str, Any] = {"rc": p.returncode, "wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime,
                           "peak_rss": hwm}
    last = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    if last.startswith("{"):
        try:
            rec.update(json.loads(last))
        except ValueError:
            pass
    if "ok" not in rec:
        rec["ok"] = p.returncode == 0
    if timed_out:
        rec["ok"], rec["error"] = False, f"timed out after {timeout:.0f} s"
    elif not rec["ok"] and "error" not in rec:
        tail = [ln for ln in stderr.strip().splitlines() if ln.strip()][-3:]
        rec["error"] = f"exit {p.returncode}: " + " | ".join(tail)[-300:]
    return rec

"""Random and hostile input to CopiedObject's preview check and to the `objectcopy` command, one bad input at a time
(URLs, names, header values, metadata and tags, sizes, dates, ETags, environment settings, profile files). What a
user relies on holds for every one: no traceback, no hang (each run is bounded), an exit code from the documented
set, an error line that names the input as the user wrote it, and nothing written when the input was refused."""
from __future__ import annotations

import json
import os
import shutil
import string
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pulumi_objectcopy.cli_inputs import flag
from pulumi_objectcopy.copy_inputs import CopiedObjectArgs, check_inputs

from .strategies import RESERVED, props, unicode_text

# Text a command line can carry (no NUL), with what breaks parsers: line breaks, control characters, a byte that is
# not UTF-8 (\udcff reaches the command as the raw byte 0xff), signs, units, quotes and huge numbers.
_PIECES = [p for p in RESERVED if "\x00" not in p] + [
    "\r", "\n", "\r\n", "\x01", "\x1b", "\udcff", "-", "--x", " ", "*", "W/", '"', "1e400", "nan", "inf", "-1", "0",
    "9" * 30, "KiB", "TB", "d", "Z", "T", "2026-10-21", "GMT", ".", "..", "=", "http://", "s3://", "file:///"]
hostile = st.lists(st.one_of(st.sampled_from(_PIECES), st.characters(codec="utf-8").filter(lambda c: c != "\x00"),
                             st.text(string.ascii_letters + string.digits, min_size=1, max_size=4)),
                   max_size=10).map("".join)

EXIT_CODES = {0, 1, 2, 3, 4}
HEADER_FLAGS = ["--content-type", "--cache-control", "--content-disposition", "--content-encoding", "--storage-class",
                "--kms-key-id", "--version-id", "--acl", "--server-side-encryption", "--tagging-directive"]
CONDITION_FLAGS = ["--if-match", "--if-none-match", "--dest-if-match", "--if-modified-since", "--if-unmodified-since"]
SIZE_FLAGS = ["--part-size", "--multipart-threshold", "--concurrency"]
KNOBS = ["OBJECTCOPY_MAX_REQUESTS", "OBJECTCOPY_ENDPOINT_S3", "OBJECTCOPY_ENDPOINT_SWIFT", "OBJECTCOPY_LOG",
         "OBJECTCOPY_PROFILES"]
PROFILE_FIELDS = ["endpoint", "region", "verify_tls", "part_size", "concurrency", "provider", "addressing", "scheme",
                  "single_copy_limit", "copy_timeout", "unknown_field", "secret_access_key", "ca_bundle"]
CASES = (["dst-name", "src-url", "meta-key", "meta-value", "tags", "profile-field", "profile-file"]
         + HEADER_FLAGS + CONDITION_FLAGS + SIZE_FLAGS + KNOBS)


# --- the resource's check, in process ----------------------------------------------------------------------------
any_value = st.one_of(st.none(), hostile, unicode_text, st.integers(), st.booleans(), st.floats(),
                      st.lists(hostile, max_size=2), st.dictionaries(unicode_text, unicode_text, max_size=2),
                      st.dictionaries(unicode_text, st.integers(), max_size=1))
url = st.one_of(hostile, st.builds("{}://{}/{}".format, st.sampled_from(["s3", "swift", "file", "oss", "cos", "oci"]),
                                   st.sampled_from(["b", "ns/b", "", "b-1250000000"]), unicode_text))


@props(400)
@given(values=st.fixed_dictionaries({}, optional={name: any_value for name in CopiedObjectArgs.names()}),
       source=url, destination=url)
@example(values={"if_unmodified_since": "0001-01-01T00:00:00+01:00"}, source="s3://b/k", destination="s3://b/k2")
@example(values={"metadata": {"k": 5}}, source="file:///a", destination="file:///" + "n" * 300)
def test_the_preview_check_names_each_bad_input_and_never_raises(values, source, destination):
    props_ = {**values, "source": source, "destination": destination}
    for name in (None, flag):
        found = CopiedObjectArgs.validate(props_) if name is None else \
            check_inputs(CopiedObjectArgs.defaults(props_), name)
        for prop, message in found:
            shown = name(prop) if name else prop
            assert prop in CopiedObjectArgs.names() and message.startswith(f"{shown}: "), (prop, message)
            assert "\n" not in message and "\r" not in message


# --- the command, as a subprocess ---------------------------------------------------------------------------------
def _exe() -> str:
    return shutil.which("objectcopy", path=str(Path(sys.executable).parent)) or "objectcopy"


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBJECTCOPY_")}
    return {**env, **extra}


def _command(case: str, value: str, key: str, src: str, dst_dir: Path, profile: Path):
    """(argv, environment, the names an error about this input may go by)."""
    dst = f"file://{dst_dir}/copy.bin"
    plain = ["cp", src, dst]
    if case == "dst-name":  # one path component: a '/' would make folders, which is what a path is
        return ["cp", src, f"file://{dst_dir}/{value.replace('/', '_')}"], {}, ("DST",)
    if case == "src-url":
        return ["cp", value, dst], {}, ("SRC",)
    if case in ("meta-key", "meta-value"):
        item = f"{value}=v" if case == "meta-key" else f"note={value}"
        return plain + ["--meta", item], {}, ("--meta",)
    if case == "tags":
        return plain + ["--tags", f"{key}={value}"], {}, ("--tags",)
    if case in ("profile-field", "profile-file"):
        text = (f'[profiles.lab]\nscheme = "s3"\nendpoint = "http://127.0.0.1:9"\naccess_key_id_env = "HOME"\n'
                f'secret_access_key_env = "HOME"\n{key} = {json.dumps(value)}\n') if case == "profile-field" else value
        profile.write_text(text, errors="surrogateescape")
        return (["cp", src, "s3://lab@bucket/copy.bin", "--dry-run"], {"OBJECTCOPY_PROFILES": str(profile)},
                (str(profile), "profile 'lab'"))
    if case in KNOBS:
        return plain, {case: value}, (case,)
    names = (case, case[2:]) if case in CONDITION_FLAGS else (case,)  # a precondition that fails says if-match
    if case == "--dest-if-match":
        names += ("dest_if_match",)
    return plain + [case, value], {}, names


@settings(max_examples=18, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(case=st.sampled_from(CASES), value=hostile,
       key=st.sampled_from(PROFILE_FIELDS) | st.text(string.ascii_lowercase, min_size=1, max_size=5))
@example(case="OBJECTCOPY_MAX_REQUESTS", value="0", key="a")
@example(case="dst-name", value="n" * 256, key="a")
@example(case="--part-size", value="0", key="a")
@example(case="--content-type", value="text/plain\r\nX-Evil: 1", key="a")
@example(case="profile-field", value="minio:9000", key="endpoint")
@example(case="profile-file", value='[lab]\nscheme = "s3"\n', key="a")
def test_the_command_refuses_hostile_input_in_one_line_and_writes_nothing(case, value, key):
    with tempfile.TemporaryDirectory(prefix="oc-hostile-") as tmp:
        root = Path(tmp)
        src = root / "src" / "seed.bin"
        src.parent.mkdir()
        src.write_bytes(b"seed data")
        dst_dir = root / "dst"
        dst_dir.mkdir()
        args, env, names = _command(case, value, key, f"file://{src}", dst_dir, root / "profiles.toml")
        proc = subprocess.run([_exe(), *args], capture_output=True, timeout=60, env=_env(env))
        out, err = (proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"))
        assert proc.returncode in EXIT_CODES, (args, proc.returncode, err)
        assert "Traceback" not in out + err, (args, err)
        if proc.returncode == 0:
            return
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("objectcopy: error: "), (args, err)
        assert any(name in lines[0] for name in names), (args, names, lines[0])
        assert not any(dst_dir.rglob("*")), (args, list(dst_dir.rglob("*")))

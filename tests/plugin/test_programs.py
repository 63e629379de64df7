"""The plugin through the real `pulumi` CLI, on local files, MinIO and Swift: the YAML example (one copy, so one
stack per store), the TypeScript example using the generated SDK and a Python program using
pulumi_objectcopy.plugin (one stack holding a copy on each store). Each runs up, a no-op preview, a changed source
(the preview shows the update with the new sourceEtag, known), refresh of a hand-edited destination, the up that
restores it, import and destroy; secrets are searched for in the state and every command's output."""
from __future__ import annotations

import json
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from ..conftest import ROOT, TEST_ENV
from .cli import AMBIENT_WARNING, Project, unset_required

EXAMPLES = ROOT / "examples"
PROGRAMS = Path(__file__).parent / "programs"
TOKEN = "objectcopy:index:CopiedObject"
STORES = ("local", "minio", "swift")


@dataclass
class Copy:
    name: str
    backend: Any
    url: Callable[[str], str]
    prefix: str

    @property
    def src(self) -> str:
        return f"{self.prefix}golden.db"

    @property
    def dst(self) -> str:
        return f"{self.prefix}seed.db"


def store_urls(project: Project, backend) -> Callable[[str], str]:
    """MinIO through a profile from stack config (objectcopy:profiles, its secret in a secret config key), read by
    the plugin's Configure; the others through the session's profiles file."""
    if backend.name != "minio":
        return backend.url
    profile = {"scheme": "s3", "endpoint": "http://127.0.0.1:19000", "provider": "minio", "addressing": "path",
               "access_key_id_env": "OC_TEST_MINIO_KEY", "secret_access_key_config": "minioSecret"}
    project.config("objectcopy:profiles", json.dumps({"viaconfig": profile}))
    project.config("objectcopy:minioSecret", TEST_ENV["OC_TEST_MINIO_SECRET"], secret=True)
    return lambda key: f"s3://viaconfig@{backend.bucket}/{key}"


def python_program(bin_dir: str, tmp_path: Path) -> Project:
    project = Project(bin_dir, tmp_path, PROGRAMS / "python")
    pulumi_yaml = project.dir / "Pulumi.yaml"
    pulumi_yaml.write_text(pulumi_yaml.read_text().replace("VENV", str(Path(sys.executable).parent.parent)))
    return project


def says_why(preview: str, property_diff: str, reason: str, *, alone: bool) -> None:
    """`preview --diff` shows the property's change and, on the line under it, the core's reason (right under it
    when the resource is alone in the stack; other resources' lines may come between otherwise)."""
    assert re.search(property_diff, preview), preview
    assert reason in preview, preview
    if alone:
        assert re.search(rf"{property_diff}\n{re.escape(reason)}\n", preview), preview


def lifecycle(project: Project, copies: list[Copy], *, invoke: bool) -> None:
    v1 = {c.name: c.backend.put(c.src, b"golden v1") for c in copies}
    project.run("up", "--yes")
    state = project.export()
    for c in copies:
        assert c.backend.get(c.dst) == b"golden v1"
        outputs = project.resource(c.name, state)["outputs"]
        assert outputs["sourceEtag"] == v1[c.name] and outputs["method"].startswith(("server-side", "streamed"))
        assert unset_required(project.resource(c.name, state)) == []
    seeded = project.outputs()["seeded"]
    for c in copies:
        entry = seeded[c.name]
        assert entry["sourceEtag"] == v1[c.name]
        if invoke:
            assert entry["goldenSize"] == len(b"golden v1")  # the getObject invoke
    project.run("preview", "--expect-no-changes")

    v2 = {c.name: c.backend.put(c.src, b"golden v2, changed") for c in copies}
    preview = project.run("preview", "--diff", merged=True).stdout
    assert preview.count(f"~ {TOKEN}: (update)") == len(copies), preview
    for c in copies:
        says_why(preview, rf'~ sourceEtag\s*: "{v1[c.name]}" => "{v2[c.name]}"',
                 f"source ETag changed from {v1[c.name]} to {v2[c.name]}: will copy it again", alone=len(copies) == 1)
        assert c.backend.get(c.dst) == b"golden v1"
    project.run("up", "--yes")
    assert all(c.backend.get(c.dst) == b"golden v2, changed" for c in copies)

    written = {c.name: project.resource(c.name)["outputs"]["writtenEtag"] for c in copies}
    hand = {c.name: c.backend.put(c.dst, b"edited by hand") for c in copies}
    project.run("refresh", "--yes")
    state = project.export()
    assert {c.name: project.resource(c.name, state)["outputs"]["etag"] for c in copies} == hand
    preview = project.run("preview", "--diff", merged=True).stdout
    for c in copies:  # the property diff says what up puts back, and the line under it why
        says_why(preview, rf'~ etag\s*: "{hand[c.name]}" => "{written[c.name]}"',
                 f"the destination was changed outside (ETag {hand[c.name]}, this resource wrote "
                 f"{written[c.name]}): will copy it again", alone=len(copies) == 1)
    project.run("up", "--yes")
    assert all(c.backend.get(c.dst) == b"golden v2, changed" for c in copies)
    project.run("preview", "--expect-no-changes")

    for c in copies:
        c.backend.put(f"{c.prefix}other.src", b"adopt me")
        c.backend.put(f"{c.prefix}other.dst", b"adopt me")
        project.run("import", TOKEN, f"adopted-{c.name}", f"{c.url(c.prefix + 'other.src')},"
                    f"{c.url(c.prefix + 'other.dst')}", "--yes", "--generate-code=false", "--protect=false")
        adopted = project.resource(f"adopted-{c.name}")
        assert adopted["type"] == TOKEN and adopted["outputs"]["method"] == "imported"
        assert unset_required(adopted) == []
        assert adopted["inputs"]["source"] == c.url(f"{c.prefix}other.src")

    state_text = json.dumps(project.export())
    project.run("destroy", "--yes")
    for c in copies:
        assert not c.backend.exists(c.dst) and c.backend.exists(c.src)
    for secret in (TEST_ENV["OC_TEST_MINIO_SECRET"], TEST_ENV["OC_TEST_SWIFT_KEY"]):
        assert secret not in state_text and not [t for t in project.transcript if secret in t]


@pytest.mark.parametrize("store", STORES)
def test_yaml_example(store, pulumi_bin, tmp_path, backends, key_prefix):
    backend = backends(store)
    project = Project(pulumi_bin, tmp_path, EXAMPLES / "yaml").stack(f"yaml-{store}")
    copy = Copy("seed", backend, store_urls(project, backend), key_prefix)
    project.config("source", copy.url(copy.src))
    project.config("destination", copy.url(copy.dst))
    lifecycle(project, [copy], invoke=True)


@pytest.mark.parametrize("language", ["typescript", "python"])
def test_program_on_every_store(language, pulumi_bin, tmp_path, backends, request):
    if language == "typescript":
        project = Project(pulumi_bin, tmp_path, request.getfixturevalue("typescript_program"))
    else:
        project = python_program(pulumi_bin, tmp_path)
    project.stack(language)
    copies = [Copy(f"seed-{store}", backends(store), store_urls(project, backends(store)),
                   f"{language}-{uuid.uuid4().hex[:10]}/") for store in STORES]
    spec = {c.name: {"source": c.url(c.src), "destination": c.url(c.dst)} for c in copies}
    project.run("config", "set-all", "--json", json.dumps({"copies": {"value": json.dumps(spec), "objectValue": spec}}))
    lifecycle(project, copies, invoke=language == "typescript")


def test_the_plugin_is_found_on_path_with_the_engines_warning(pulumi_bin, tmp_path, backends, key_prefix):
    """The venv's `bin` on PATH is enough (README); the engine then warns that it uses a plugin found there, which
    naming the plugin's folder in Pulumi.yaml silences (cli.Project does that for every other test)."""
    backend = backends("local")
    project = Project(pulumi_bin, tmp_path, EXAMPLES / "yaml", on_path=True).stack("yaml-on-path")
    backend.put(f"{key_prefix}golden.db", b"golden")
    project.config("source", backend.url(f"{key_prefix}golden.db"))
    project.config("destination", backend.url(f"{key_prefix}seed.db"))
    preview = project.run("preview").stdout
    assert re.search(rf"\+\s+{re.escape(TOKEN)} seed create", preview), preview
    assert f"warning: using pulumi-resource-objectcopy {AMBIENT_WARNING} {Path(sys.executable).parent}" in preview


def test_destroy_warning_is_the_resources_and_a_wrong_import_is_refused(pulumi_bin, tmp_path, backends, key_prefix):
    backend = backends("local")
    project = Project(pulumi_bin, tmp_path, EXAMPLES / "yaml").stack("yaml-warnings")
    backend.put(f"{key_prefix}golden.db", b"golden")
    backend.put(f"{key_prefix}other.db", b"not the golden one")
    project.config("source", backend.url(f"{key_prefix}golden.db"))
    project.config("destination", backend.url(f"{key_prefix}seed.db"))
    project.run("up", "--yes")

    wrong = project.run("import", TOKEN, "wrong", f"{backend.url(key_prefix + 'golden.db')},"
                        f"{backend.url(key_prefix + 'other.db')}", "--yes", "--generate-code=false",
                        "--protect=false", check=False)
    assert wrong.returncode != 0
    assert f"{backend.url(key_prefix + 'other.db')} is not a copy of {backend.url(key_prefix + 'golden.db')}" in \
        wrong.stdout, wrong.stdout
    assert "Traceback" not in wrong.stdout + wrong.stderr

    backend.put(f"{key_prefix}seed.db", b"edited by hand, not ours any more")
    destroy = project.run("destroy", "--yes").stdout
    assert backend.get(f"{key_prefix}seed.db") == b"edited by hand, not ours any more"
    warned = rf"{re.escape(TOKEN)} \(seed\):\n\s+warning: CopiedObject: .*{key_prefix}seed.db"
    assert re.search(warned, destroy), destroy


def test_a_secret_input_stays_secret_in_state_and_output(pulumi_bin, tmp_path, backends, key_prefix):
    """A source URL given as a secret (a presigned or private path, say): encrypted in the state, never shown."""
    backend = backends("local")
    project = Project(pulumi_bin, tmp_path, EXAMPLES / "yaml").stack("yaml-secret")
    hidden = f"{key_prefix}hidden-{uuid.uuid4().hex}.db"
    etag = backend.put(hidden, b"golden")
    project.config("source", backend.url(hidden), secret=True)
    project.config("destination", backend.url(f"{key_prefix}seed.db"))
    project.run("up", "--yes")
    assert backend.get(f"{key_prefix}seed.db") == b"golden"
    project.run("preview", "--expect-no-changes", "--diff")
    state = project.export()
    seed = project.resource("seed", state)
    assert seed["outputs"]["source"].get("4dabf18193072939515e22adb298388d") and seed["outputs"]["sourceEtag"] == etag
    project.run("destroy", "--yes")
    leaks = [t for t in [json.dumps(state), *project.transcript] if hidden.split("/")[-1] in t]
    assert not leaks, leaks

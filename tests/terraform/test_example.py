"""examples/terraform is a test: init, apply, a second plan with nothing to do, a golden file changed, destroy."""
from __future__ import annotations

import shutil

from .tfcli import ROOT, Terraform, install_mirror

EXAMPLE = ROOT / "examples" / "terraform"


def test_the_terraform_example_seeds_and_tracks_the_golden_files(tmp_path):
    work = tmp_path / "examples" / "terraform"
    shutil.copytree(EXAMPLE, work)
    shutil.copytree(ROOT / "examples" / "quickstart" / "golden", tmp_path / "examples" / "quickstart" / "golden")
    tf = Terraform("terraform", work, install_mirror(tmp_path))
    env = tmp_path / "env"
    variables = ["-var", f"environment={env}"]
    tf.run("init", "-input=false")
    applied = tf.run("apply", "-auto-approve", "-input=false", *variables)
    assert "Apply complete! Resources: 3 added" in applied and '"config/app.json" = "98 bytes, etag ' in applied
    golden = tmp_path / "examples" / "quickstart" / "golden"
    for rel in ("assets/logo.svg", "config/app.json", "db/seed.sql"):
        assert (env / rel).read_bytes() == (golden / rel).read_bytes()
    tf.run("plan", "-detailed-exitcode", "-input=false", *variables, rc=0)
    (golden / "config" / "app.json").write_text('{"replicas": 3}\n')
    changed = tf.run("plan", "-detailed-exitcode", "-input=false", *variables, rc=2)
    assert "~ source_etag" in changed and "1 to change" in changed
    tf.run("destroy", "-auto-approve", "-input=false", *variables)
    assert not any(p.is_file() for p in env.rglob("*")) and (golden / "db" / "seed.sql").exists()

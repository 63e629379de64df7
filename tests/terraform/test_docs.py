"""The README's attribute tables are the schema terraform is served (regenerate them with
`python -m pulumi_objectcopy.terraform.docs README.md`)."""
from pulumi_objectcopy.terraform import docs

from .tfcli import ROOT


def test_readme_tables_match_the_schema():
    readme = (ROOT / "README.md").read_text()
    for name in docs.blocks():
        assert docs.marker(name)[0] in readme, f"README.md has no table for {name}"
    assert docs.rewrite(readme) == readme, "README.md's Terraform tables are stale: run " \
                                           "python -m pulumi_objectcopy.terraform.docs README.md"

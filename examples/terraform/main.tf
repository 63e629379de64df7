# Seed an environment folder from the quickstart's golden files, with Terraform: no account and no server (both
# ends are file:// URLs). Point `golden` and `environment` at s3://, swift://, oci://... and nothing else changes.
#
#   pip install .                                          # in a checkout; or: pip install pulumi-objectcopy
#   objectcopy terraform install --mirror ~/.terraform.d/plugins
#   cd examples/terraform && terraform init && terraform apply
#
# Then edit a file under examples/quickstart/golden/ and run `terraform plan`: the copy shows as an update,
# ~ source_etag = "old" -> "new".

terraform {
  required_providers {
    objectcopy = { source = "objectcopy/objectcopy" }
  }
}

variable "golden" {
  description = "the golden folder (default: the quickstart's sample files)"
  type        = string
  default     = ""
}

variable "environment" {
  description = "the folder to seed (default: .state/terraform/dev at the top of the checkout)"
  type        = string
  default     = ""
}

locals {
  golden      = var.golden != "" ? abspath(var.golden) : abspath("${path.module}/../quickstart/golden")
  environment = var.environment != "" ? abspath(var.environment) : abspath("${path.module}/../../.state/terraform/dev")
}

provider "objectcopy" {}

resource "objectcopy_copied_object" "seed" {
  for_each    = fileset(local.golden, "**")
  source      = "file://${local.golden}/${each.value}"
  destination = "file://${local.environment}/${each.value}"
}

data "objectcopy_object" "app_config" {
  url = "file://${local.golden}/config/app.json"
}

output "copies" {
  description = "what was copied: size, ETag and how"
  value = {
    for name, copy in objectcopy_copied_object.seed : name => "${copy.size} bytes, etag ${copy.etag}, ${copy.method}"
  }
}

output "golden_app_config_etag" {
  value = data.objectcopy_object.app_config.etag
}

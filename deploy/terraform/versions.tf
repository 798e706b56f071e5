# Same providers as lambda-promtail's module, so `terraform init` in an
# existing working directory finds what it already has. The aws provider
# must be 6.x or later: data.aws_region.current.region is a 6.x attribute
# (lambda-promtail uses it too). archive and null are no longer used by this
# module; they stay declared so that a state written by lambda-promtail's
# module (data.archive_file.lambda, null_resource.function_binary) can be
# planned and cleaned up without a provider error.
terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
    archive = {
      source = "hashicorp/archive"
    }
    null = {
      source = "hashicorp/null"
    }
  }
}

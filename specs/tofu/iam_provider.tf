# --- AWS IAM provider: where the assume-role step finds its roles ---------------
# One aws-iam-configuration at the NRN: the permissions role under
# iam_provider_selector (ASSUME_ROLE_SELECTOR, default lambda) and, with
# create_read_role, the read-only role under iam_provider_read_selector
# (ASSUME_ROLE_READ_SELECTOR, default lambda-read). Both carry the ExternalId their
# trust policy requires.

locals {
  iam_provider_entries = [
    for entry in concat(
      [{ selector = var.iam_provider_selector, arn = aws_iam_role.permissions.arn }],
      local.read_role_create ? [{ selector = var.iam_provider_read_selector, arn = local.read_role_arn }] : []
    ) : merge(entry, var.external_id == "" ? {} : { external_id = var.external_id })
  ]

  iam_provider_attributes = jsonencode({
    iam_role_arns = { arns = local.iam_provider_entries }
  })
}

resource "nullplatform_provider_config" "aws_iam" {
  count = var.register_iam_provider ? 1 : 0

  nrn        = var.nrn
  type       = "aws-iam-configuration"
  dimensions = {}
  attributes = local.iam_provider_attributes
}

# scripts/iac-scan scans specs/tofu with these values: every optional part of the install
# module switched on (checkov drops resources whose count is 0 under the defaults). The
# ids are placeholders; nothing is applied.
install_alb                   = true
vpc_id                        = "vpc-0123456789abcdef0"
domain_name                   = "apps.example.com"
public_zone_id                = "Z0123456789ABCDEFGHIJ"
create_placeholder_repository = true
create_read_role              = true

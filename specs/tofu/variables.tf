# --- nullplatform registration ------------------------------------------------

variable "nrn" {
  description = "Account NRN the scope type, its actions, the notification channel and the AWS IAM provider are registered at, e.g. organization=1:account=2."
  type        = string

  validation {
    condition     = can(regex("^organization=[^:]+:account=[^:]+$", var.nrn))
    error_message = "nrn must be an account NRN: organization=<id>:account=<id> (no namespace)."
  }
}

variable "np_api_key" {
  description = "nullplatform API key: used by the nullplatform provider and given to the agent in the notification channel."
  type        = string
  sensitive   = true
}

variable "register_scope_type" {
  description = "Register the service specification, scope type, action specifications, scope-configuration specification and notification channel. false = IAM only."
  type        = bool
  default     = true
}

variable "register_iam_provider" {
  description = "Create the AWS IAM provider (aws-iam-configuration) at the NRN with the permissions role under selector lambda (and the read-only role under lambda-read with create_read_role), so the assume-role step finds them. Set false when an IAM provider already exists there and add the entries to it yourself."
  type        = bool
  default     = true
}

variable "iam_provider_selector" {
  description = "Selector of the permissions role in the AWS IAM provider (the assume-role step's ASSUME_ROLE_SELECTOR)."
  type        = string
  default     = "lambda"
}

variable "iam_provider_read_selector" {
  description = "Selector of the read-only role in the AWS IAM provider (create_read_role = true): the assume-role step's ASSUME_ROLE_READ_SELECTOR, which telemetry and diagnose workflows look up first."
  type        = string
  default     = "lambda-read"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", var.iam_provider_read_selector)) && var.iam_provider_read_selector != var.iam_provider_selector
    error_message = "❌ iam_provider_read_selector must be 1-64 letters, digits, _ . - and differ from iam_provider_selector (the permissions role's). 🔧 Keep the default lambda-read, or set the agent's ASSUME_ROLE_READ_SELECTOR to the value you give."
  }
}

variable "route_telemetry_to_scope" {
  description = "Patch the NRN so the platform sends the scope type's log:read and metric:* requests to its channel (global.<slug>_log_provider = external, global.<slug>_metric_provider = externalmetrics), with np on the machine running tofu. false: run the telemetry_nrn_patch_command output yourself."
  type        = bool
  default     = true
}

variable "np_cli" {
  description = "The nullplatform CLI the telemetry patch runs: a command on PATH or a path to it."
  type        = string
  default     = "np"

  validation {
    condition     = can(regex("^[^[:space:]'\"]+$", var.np_cli))
    error_message = "❌ np_cli must be a command name or a path, without spaces or quotes. 🔧 Give e.g. np or /usr/local/bin/np."
  }
}

variable "service_name" {
  description = "Name of the scope type shown in nullplatform."
  type        = string
  default     = "AWS Lambda"
}

variable "repo_path" {
  description = "Where this repository is cloned on the agent; the notification channel runs <repo_path>/entrypoint."
  type        = string
  default     = "/root/.np/nullplatform/lambda-scope"
}

variable "agent_selector" {
  description = "Tags that select the agent which runs the scope's actions (the agent's --tags), e.g. { environment = \"production\" }."
  type        = map(string)
  default     = {}
}

# --- the permissions role -----------------------------------------------------

variable "cluster_name" {
  description = "Name of the cluster the agent runs in; default names derive from it."
  type        = string
}

variable "agent_role_name" {
  description = "Name of the agent's IAM role (IRSA) trusted to assume the permissions role. Default: nullplatform-<cluster_name>-agent-role."
  type        = string
  default     = ""
}

variable "additional_trusted_principal_arns" {
  description = "Other IAM role ARNs allowed to assume the permissions role (e.g. a second agent)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.additional_trusted_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "Each additional_trusted_principal_arns entry must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "external_id" {
  description = "When set, the trust policy requires this sts:ExternalId and the IAM provider entry carries it. Use the value the platform's registry issues; this module never generates one."
  type        = string
  default     = ""

  validation {
    # The length apart: RE2 (the regex engine of tofu and terraform) refuses repeat
    # counts over 1000, and a regex that does not compile rejects every value.
    condition     = var.external_id == "" || (can(regex("^[A-Za-z0-9+=,.@:/-]+$", var.external_id)) && length(var.external_id) >= 2 && length(var.external_id) <= 1224)
    error_message = "external_id must be 2-1224 characters of A-Z a-z 0-9 +=,.@:/-."
  }
}

variable "enable_session_tags" {
  description = "Also allow sts:TagSession and sts:SetSourceIdentity in the trust policy (needed when the assume-role step runs with ASSUME_ROLE_SESSION_TAGS=true)."
  type        = bool
  default     = false
}

variable "permissions_role_name" {
  description = "Name of the permissions role. Default: nullplatform-<cluster_name>-lambda-scope."
  type        = string
  default     = ""
}

variable "create_read_role" {
  description = "Create a read-only role for the read-only workflows (telemetry: log:read, metric:*, instance:data; diagnose): trusted like the permissions role, holding only the read document (logs and metrics reads, Lambda / IAM / ECR / ELB describes), and registered in the AWS IAM provider under iam_provider_read_selector. Off by default: those workflows then use the permissions role."
  type        = bool
  default     = false
}

variable "read_role_name" {
  description = "Name of the read-only role (create_read_role = true). Default: <permissions role name>-read."
  type        = string
  default     = ""

  validation {
    condition     = var.read_role_name == "" || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.read_role_name))
    error_message = "❌ read_role_name must be an IAM role name: 1-64 letters, digits or +=,.@_-. 🔧 Leave it empty for <permissions role name>-read."
  }
}

variable "max_session_duration" {
  description = "Longest session the permissions role (and the read-only role) allows, in seconds (3600-43200); the assume-role step's ASSUME_ROLE_DURATION_SECONDS must not exceed it."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "policy_name_prefix" {
  description = "Managed policies are named <prefix>-lambda, -iam, -networking, -storage. Default: nullplatform-<cluster_name>-lambda-scope."
  type        = string
  default     = ""
}

variable "manage_agent_assume_policy" {
  description = "Add an inline policy to the agent role allowing it to assume the permissions role. Leave false when the agent's own stack manages that role's policies."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every AWS resource this module creates."
  type        = map(string)
  default     = {}
}

# --- what the policies allow --------------------------------------------------

variable "region" {
  description = "Region the scopes run in. Default: the AWS provider's region."
  type        = string
  default     = ""
}

variable "state_bucket" {
  description = "The scopes' OpenTofu state bucket (scope-configurations state.tofu_state_bucket); the role may read and write only the state and lock objects under state_key_prefix."
  type        = string
}

variable "state_key_prefix" {
  description = "Key prefix of the scopes' state objects: lambda/ allows lambda/<scope id>/terraform.tfstate and its .tflock."
  type        = string
  default     = "lambda/"
}

variable "execution_role_prefixes" {
  description = "Name prefixes the functions' execution roles may have; IAM actions are allowed only on those roles, iam:PassRole only to lambda.amazonaws.com. Never nullplatform- (it matches the agent's role, other scopes' roles and the permissions role)."
  type        = list(string)
  default     = ["np-lambda-"]

  validation {
    condition     = length(var.execution_role_prefixes) > 0 && alltrue([for p in var.execution_role_prefixes : can(regex("^[A-Za-z0-9+=,.@_-]{1,32}$", p)) && !startswith("nullplatform-", p)])
    error_message = "Give at least one prefix; each 1-32 characters of an IAM role name, without wildcards, and none that nullplatform- starts with (it matches the agent's and other scopes' roles)."
  }
}

variable "execution_role_permissions_boundary_arn" {
  description = "An existing IAM policy to use as the permissions boundary of every execution role. Empty: this module creates <policy_name_prefix>-execution-boundary. The policies allow creating and editing execution roles only with this boundary."
  type        = string
  default     = ""

  validation {
    condition     = var.execution_role_permissions_boundary_arn == "" || can(regex("^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$", var.execution_role_permissions_boundary_arn))
    error_message = "execution_role_permissions_boundary_arn must be an IAM policy ARN: arn:<partition>:iam::<12-digit account>:policy/<name>."
  }
}

variable "ecr_repositories" {
  description = "ECR repositories (same account and region) holding function and placeholder images; [\"*\"] = all."
  type        = list(string)
  default     = ["*"]
}

variable "secret_prefix" {
  description = "Name prefix of the deployments' parameters secrets in Secrets Manager."
  type        = string
  default     = "nullplatform/"
}

variable "assets_buckets" {
  description = "Buckets holding Zip deployment packages (read only); empty = image deployments only."
  type        = list(string)
  default     = []
}

variable "hosted_zone_ids" {
  description = "Route 53 hosted zones the scopes' DNS records go in; [\"*\"] = all of the account."
  type        = list(string)
  default     = ["*"]
}

variable "layer_accounts" {
  description = "Other accounts whose Lambda layers the functions may use (e.g. the nullplatform agent layer's account)."
  type        = list(string)
  default     = []
}

# --- optional: the load balancer of private scopes (alb.tf) ------------------

variable "install_alb" {
  description = "Create the ALB private scopes attach their listener rules to: HTTPS 443 (404 for unknown hosts), HTTP 80 redirected, its security group. Publish the lambda_alb_listener_arn output as the vpc provider's load_balancer.private.listener_arn. Off by default."
  type        = bool
  default     = false
}

variable "alb_internal" {
  description = "The ALB is internal (reachable from the VPC only; what private scopes need). false: internet-facing, in public subnets; give alb_ingress_cidr_blocks then."
  type        = bool
  default     = true
}

variable "vpc_id" {
  description = "VPC the ALB is created in (install_alb = true)."
  type        = string
  default     = ""

  validation {
    condition     = var.vpc_id == "" || can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "❌ vpc_id must be a VPC id (vpc- and 8 or 17 hex digits). 🔧 Copy it from `aws ec2 describe-vpcs`."
  }
}

variable "alb_subnet_ids" {
  description = "Subnets of the ALB, in two or more availability zones. Empty: the VPC's subnets tagged nullplatform/subnet-type = private (public when alb_internal = false)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.alb_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "❌ each alb_subnet_ids entry must be a subnet id (subnet- and 8 or 17 hex digits)."
  }
}

variable "alb_ingress_cidr_blocks" {
  description = "CIDR blocks allowed to reach the ALB on 443 and 80. Empty: the VPC's CIDR block. An internet-facing ALB needs them given (e.g. [\"0.0.0.0/0\"])."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.alb_ingress_cidr_blocks : can(regex("^[0-9.]+/[0-9]{1,2}$", cidr)) && can(cidrhost(cidr, 0))])
    error_message = "❌ each alb_ingress_cidr_blocks entry must be an IPv4 CIDR block such as 10.0.0.0/16."
  }
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener (same region), e.g. the wildcard other scopes use. Empty with install_alb: a DNS-validated *.<domain_name> is created in public_zone_id."
  type        = string
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws(-cn|-us-gov)?:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.certificate_arn))
    error_message = "❌ certificate_arn must be an ACM certificate ARN: arn:<partition>:acm:<region>:<account>:certificate/<id>."
  }
}

variable "domain_name" {
  description = "Base domain of the certificate created when certificate_arn is empty (*.<domain_name> and <domain_name>): the scopes' domain."
  type        = string
  default     = ""

  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "❌ domain_name must be a lower-case DNS name such as apps.example.com (no wildcard, no trailing dot)."
  }
}

variable "public_zone_id" {
  description = "Public Route 53 hosted zone where the created certificate is validated (certificate_arn empty)."
  type        = string
  default     = ""

  validation {
    condition     = var.public_zone_id == "" || can(regex("^Z[A-Z0-9]{1,31}$", var.public_zone_id))
    error_message = "❌ public_zone_id must be a Route 53 hosted zone id (Z...)."
  }
}

variable "alb_name" {
  description = "Name of the ALB (at most 32 characters). Default: np-<cluster_name>-lambda."
  type        = string
  default     = ""

  validation {
    condition     = var.alb_name == "" || can(regex("^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$", var.alb_name))
    error_message = "❌ alb_name must be 1-32 letters, digits and hyphens, neither starting nor ending with a hyphen."
  }
}

variable "alb_deletion_protection" {
  description = "Deletion protection of the ALB (every private scope's traffic goes through it). Set false before destroying it."
  type        = bool
  default     = true
}

variable "alb_access_logs_bucket" {
  description = "S3 bucket for the ALB's access logs (its policy must let Elastic Load Balancing write). Empty: no access logs."
  type        = string
  default     = ""

  validation {
    condition     = var.alb_access_logs_bucket == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.alb_access_logs_bucket))
    error_message = "❌ alb_access_logs_bucket must be an S3 bucket name."
  }
}

variable "alb_web_acl_arn" {
  description = "WAFv2 web ACL (REGIONAL scope) to associate with the ALB. Empty: none."
  type        = string
  default     = ""

  validation {
    condition     = var.alb_web_acl_arn == "" || can(regex("^arn:aws(-cn|-us-gov)?:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/.+$", var.alb_web_acl_arn))
    error_message = "❌ alb_web_acl_arn must be a regional WAFv2 web ACL ARN: arn:<partition>:wafv2:<region>:<account>:regional/webacl/<name>/<id>."
  }
}

# --- optional: the placeholder image's repository (placeholder.tf) -----------

variable "create_placeholder_repository" {
  description = "Create the private ECR repository placeholder/publish pushes the placeholder image to (immutable tags, scan on push, KMS encryption, pull by this account's functions only), and add it to the policies' ecr_repositories. Off by default."
  type        = bool
  default     = false
}

variable "placeholder_repository_name" {
  description = "Name of the placeholder image's ECR repository."
  type        = string
  default     = "aws-lambda/nullplatform-lambda-placeholder"

  validation {
    condition     = can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", var.placeholder_repository_name)) && length(var.placeholder_repository_name) <= 256
    error_message = "❌ placeholder_repository_name must be an ECR repository name: lower-case letters and digits, separated by ., _, - or /, at most 256 characters."
  }
}

variable "placeholder_repository_kms_key_arn" {
  description = "KMS key encrypting the placeholder repository. Empty: ECR's AWS managed key."
  type        = string
  default     = ""

  validation {
    condition     = var.placeholder_repository_kms_key_arn == "" || can(regex("^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.placeholder_repository_kms_key_arn))
    error_message = "❌ placeholder_repository_kms_key_arn must be a KMS key ARN: arn:<partition>:kms:<region>:<account>:key/<key id>."
  }
}

variable "placeholder_image_tag" {
  description = "The tag placeholder/publish pushed (its --tag); the placeholder_image_uris output names <tag>-arm64 and <tag>-amd64."
  type        = string
  default     = "v1"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}$", var.placeholder_image_tag))
    error_message = "❌ placeholder_image_tag must be a Docker tag of at most 120 characters (letters, digits, _ . -), its -arm64 / -amd64 suffix left out."
  }
}

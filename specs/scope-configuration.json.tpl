{
  "name": "AWS Lambda",
  "description": "Scope-wide settings for AWS Lambda scopes: OpenTofu state, placeholder image, execution roles, ALB capacity, agent layer",
  "category": "scope-configurations",
  "icon": "np:aws-lambda",
  "visible_to": [
    "{{ env.Getenv "NRN" }}"
  ],
  "allow_dimensions": true,
  "schema": {
    "type": "object",
    "required": [
      "state"
    ],
    "properties": {
      "state": {
        "type": "object",
        "title": "OpenTofu state",
        "required": [
          "tofu_state_bucket"
        ],
        "properties": {
          "tofu_state_bucket": {
            "type": "string",
            "title": "State bucket",
            "description": "S3 bucket for the scopes' OpenTofu state (key lambda/<scope id>/terraform.tfstate, locked with a .tflock object). The permissions role may read and write only those objects.",
            "pattern": "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
          }
        }
      },
      "deployment": {
        "type": "object",
        "title": "Deployment",
        "properties": {
          "placeholder_image_uri": {
            "type": "string",
            "title": "Placeholder image",
            "description": "Private ECR image (same account and region) a new image scope starts with until its first deployment, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/lambda-placeholder:latest. Falls back to PLACEHOLDER_IMAGE_URI_DEFAULT.",
            "pattern": "^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/.+"
          }
        }
      },
      "lambda": {
        "type": "object",
        "title": "Functions",
        "properties": {
          "execution_role_prefix": {
            "type": "string",
            "title": "Execution role prefix",
            "description": "Name prefix of the functions' execution roles; must be one of the install module's execution_role_prefixes (default np-lambda-)",
            "default": "np-lambda-",
            "pattern": "^[A-Za-z0-9+=,.@_-]{1,32}$"
          },
          "permissions_boundary": {
            "type": "string",
            "title": "Execution role permissions boundary",
            "description": "ARN of the IAM policy every execution role carries as its permissions boundary; must be the one the install module's policies require (default: the install module's execution boundary)",
            "pattern": "^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$"
          },
          "log_retention_days": {
            "type": "integer",
            "title": "Log retention (days)",
            "description": "Retention of the functions' CloudWatch log groups",
            "default": 30,
            "enum": [
              1,
              3,
              5,
              7,
              14,
              30,
              60,
              90,
              120,
              150,
              180,
              365,
              400,
              545,
              731,
              1096,
              1827,
              2192,
              2557,
              2922,
              3288,
              3653
            ]
          }
        }
      },
      "networking": {
        "type": "object",
        "title": "Private scopes (ALB)",
        "properties": {
          "alb_listener_rule_capacity": {
            "type": "integer",
            "title": "Listener rule capacity",
            "description": "Rules the internal ALB listener may hold (AWS default quota: 100)",
            "default": 100,
            "minimum": 1
          },
          "alb_listener_rule_alert_threshold": {
            "type": "integer",
            "title": "Alert threshold",
            "description": "Creating a private scope fails once the capacity is not above this number of rules",
            "default": 90,
            "minimum": 0
          }
        }
      },
      "agent": {
        "type": "object",
        "title": "nullplatform agent layer (optional)",
        "properties": {
          "null_agent_layer_arn": {
            "type": "string",
            "title": "Agent layer ARN",
            "description": "Lambda layer version added when USE_NULL_AGENT is on",
            "pattern": "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$"
          }
        }
      },
      "assume_role": {
        "type": "object",
        "title": "Role (deprecated)",
        "description": "Back-compat only: prefer the AWS IAM provider (selector lambda)",
        "properties": {
          "arn": {
            "type": "string",
            "title": "Role ARN",
            "pattern": "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"
          }
        }
      }
    }
  }
}

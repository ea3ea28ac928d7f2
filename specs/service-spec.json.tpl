{
  "name": "AWS Lambda",
  "type": "scope",
  "assignable_to": "any",
  "use_default_actions": false,
  "visible_to": [
    "{{ env.Getenv "NRN" }}"
  ],
  "available_actions": [
    "create-scope",
    "update-scope",
    "delete-scope",
    "diagnose-scope",
    "start-initial",
    "start-blue-green",
    "switch-traffic",
    "finalize-blue-green",
    "rollback-deployment",
    "delete-deployment",
    "diagnose-deployment",
    "invoke",
    "adjust-provisioned-concurrency",
    "adjust-reserved-concurrency"
  ],
  "selectors": {
    "category": "Scope",
    "imported": false,
    "provider": "Agent",
    "sub_category": "Lambda"
  },
  "attributes": {
    "schema": {
      "type": "object",
      "required": [
        "deployment_type",
        "architecture",
        "memory",
        "timeout",
        "http_enabled",
        "visibility"
      ],
      "properties": {
        "deployment_type": {
          "type": "string",
          "title": "Deployment type",
          "description": "How the function is packaged: a container image in ECR or a Zip package in S3. Fixed once the scope exists.",
          "default": "docker-image",
          "editableOn": [
            "create"
          ],
          "oneOf": [
            {
              "const": "docker-image",
              "title": "Container image (ECR)"
            },
            {
              "const": "zip",
              "title": "Zip package (S3)"
            }
          ]
        },
        "asset_type": {
          "type": "string",
          "export": true,
          "default": "docker-image",
          "description": "Asset type the build produces; follows deployment_type (docker-image / lambda)"
        },
        "runtime": {
          "type": "string",
          "title": "Runtime",
          "description": "Lambda runtime (Zip packages only)",
          "default": "nodejs22.x",
          "enum": [
            "nodejs24.x",
            "nodejs22.x",
            "python3.14",
            "python3.13",
            "python3.12",
            "java25",
            "java21",
            "dotnet10",
            "ruby4.0",
            "ruby3.4",
            "ruby3.3",
            "provided.al2023"
          ]
        },
        "handler": {
          "type": "string",
          "title": "Handler",
          "description": "Entry point (Zip packages only), e.g. index.handler or app.lambda_handler",
          "default": "index.handler"
        },
        "architecture": {
          "type": "string",
          "title": "Architecture",
          "description": "Instruction set; the image or package must be built for it",
          "default": "arm64",
          "enum": [
            "arm64",
            "x86_64"
          ]
        },
        "memory": {
          "type": "integer",
          "title": "Memory (MB)",
          "description": "Memory in MB; CPU scales with it",
          "default": 256,
          "minimum": 128,
          "maximum": 10240
        },
        "timeout": {
          "type": "integer",
          "title": "Timeout (seconds)",
          "description": "Maximum run time of one invocation",
          "default": 30,
          "minimum": 1,
          "maximum": 900
        },
        "ephemeral_storage": {
          "type": "integer",
          "title": "Ephemeral storage (MB)",
          "description": "Size of /tmp",
          "default": 512,
          "minimum": 512,
          "maximum": 10240
        },
        "http_enabled": {
          "type": "boolean",
          "title": "Expose over HTTP",
          "description": "Off for functions triggered only by events (queues, streams, schedules): the scope is then event-driven",
          "default": true
        },
        "visibility": {
          "type": "string",
          "title": "Visibility",
          "description": "public: API Gateway HTTP API; private: a rule on the internal ALB",
          "default": "public",
          "enum": [
            "public",
            "private"
          ]
        },
        "vpc_enabled": {
          "type": "boolean",
          "title": "Run inside the VPC",
          "description": "Attach the function to the account's VPC subnets and security groups",
          "default": false
        },
        "reserved_concurrency": {
          "type": "object",
          "title": "Reserved concurrency",
          "properties": {
            "type": {
              "type": "string",
              "title": "Reserved concurrency",
              "default": "unreserved",
              "enum": [
                "unreserved",
                "reserved"
              ]
            },
            "value": {
              "type": "integer",
              "title": "Reserved executions",
              "default": 10,
              "minimum": 0,
              "maximum": 10000
            }
          }
        },
        "provisioned_concurrency": {
          "type": "object",
          "title": "Provisioned concurrency",
          "properties": {
            "type": {
              "type": "string",
              "title": "Provisioned concurrency",
              "default": "unprovisioned",
              "enum": [
                "unprovisioned",
                "provisioned"
              ]
            },
            "value": {
              "type": "integer",
              "title": "Provisioned executions",
              "default": 5,
              "minimum": 1,
              "maximum": 10000
            }
          }
        },
        "layers": {
          "type": "array",
          "title": "Layers",
          "description": "Extra Lambda layer version ARNs",
          "items": {
            "type": "string",
            "pattern": "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$"
          },
          "default": [],
          "maxItems": 5
        },
        "continuous_delivery": {
          "type": "object",
          "title": "Continuous delivery",
          "properties": {
            "enabled": {
              "type": "boolean",
              "title": "Deploy automatically",
              "default": false
            },
            "branches": {
              "type": "array",
              "title": "Branches",
              "items": {
                "type": "string"
              },
              "default": [
                "main"
              ]
            }
          }
        }
      },
      "uiSchema": {
        "type": "VerticalLayout",
        "elements": [
          {
            "type": "Control",
            "scope": "#/properties/deployment_type",
            "label": "Deployment type",
            "options": {
              "format": "radio"
            }
          },
          {
            "type": "Control",
            "label": "Runtime",
            "scope": "#/properties/runtime",
            "rule": {
              "effect": "SHOW",
              "condition": {
                "scope": "#/properties/deployment_type",
                "schema": {
                  "const": "zip"
                }
              }
            }
          },
          {
            "type": "Control",
            "label": "Handler",
            "scope": "#/properties/handler",
            "rule": {
              "effect": "SHOW",
              "condition": {
                "scope": "#/properties/deployment_type",
                "schema": {
                  "const": "zip"
                }
              }
            }
          },
          {
            "type": "Control",
            "scope": "#/properties/memory",
            "label": "Memory (MB)"
          },
          {
            "type": "Control",
            "scope": "#/properties/http_enabled",
            "label": "Expose over HTTP"
          },
          {
            "type": "Control",
            "label": "Visibility",
            "scope": "#/properties/visibility",
            "options": {
              "format": "radio"
            },
            "rule": {
              "effect": "SHOW",
              "condition": {
                "scope": "#/properties/http_enabled",
                "schema": {
                  "const": true
                }
              }
            }
          },
          {
            "type": "Categorization",
            "options": {
              "collapsable": {
                "label": "ADVANCED",
                "collapsed": true
              }
            },
            "elements": [
              {
                "type": "Category",
                "label": "Execution",
                "elements": [
                  {
                    "type": "Control",
                    "scope": "#/properties/timeout"
                  },
                  {
                    "type": "Control",
                    "scope": "#/properties/ephemeral_storage"
                  },
                  {
                    "type": "Control",
                    "scope": "#/properties/architecture"
                  }
                ]
              },
              {
                "type": "Category",
                "label": "Concurrency",
                "elements": [
                  {
                    "type": "Control",
                    "scope": "#/properties/reserved_concurrency/properties/type"
                  },
                  {
                    "type": "Control",
                    "scope": "#/properties/reserved_concurrency/properties/value",
                    "rule": {
                      "effect": "SHOW",
                      "condition": {
                        "scope": "#/properties/reserved_concurrency/properties/type",
                        "schema": {
                          "const": "reserved"
                        }
                      }
                    }
                  },
                  {
                    "type": "Control",
                    "scope": "#/properties/provisioned_concurrency/properties/type"
                  },
                  {
                    "type": "Control",
                    "scope": "#/properties/provisioned_concurrency/properties/value",
                    "rule": {
                      "effect": "SHOW",
                      "condition": {
                        "scope": "#/properties/provisioned_concurrency/properties/type",
                        "schema": {
                          "const": "provisioned"
                        }
                      }
                    }
                  }
                ]
              },
              {
                "type": "Category",
                "label": "Networking",
                "elements": [
                  {
                    "type": "Control",
                    "scope": "#/properties/vpc_enabled"
                  }
                ]
              },
              {
                "type": "Category",
                "label": "Layers",
                "elements": [
                  {
                    "type": "Control",
                    "scope": "#/properties/layers"
                  }
                ]
              },
              {
                "type": "Category",
                "label": "Continuous delivery",
                "elements": [
                  {
                    "type": "Control",
                    "scope": "#/properties/continuous_delivery/properties/enabled"
                  },
                  {
                    "type": "Control",
                    "scope": "#/properties/continuous_delivery/properties/branches",
                    "rule": {
                      "effect": "SHOW",
                      "condition": {
                        "scope": "#/properties/continuous_delivery/properties/enabled",
                        "schema": {
                          "const": true
                        }
                      }
                    }
                  }
                ]
              }
            ]
          }
        ]
      },
      "allOf": [
        {
          "if": {
            "properties": {
              "deployment_type": {
                "const": "zip"
              }
            },
            "required": [
              "deployment_type"
            ]
          },
          "then": {
            "properties": {
              "asset_type": {
                "const": "lambda",
                "default": "lambda"
              }
            }
          }
        },
        {
          "if": {
            "properties": {
              "deployment_type": {
                "const": "docker-image"
              }
            },
            "required": [
              "deployment_type"
            ]
          },
          "then": {
            "properties": {
              "asset_type": {
                "const": "docker-image",
                "default": "docker-image"
              }
            }
          }
        }
      ]
    }
  }
}

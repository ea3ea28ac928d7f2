{
  "name": "Adjust provisioned concurrency",
  "slug": "adjust-provisioned-concurrency",
  "type": "custom",
  "retryable": true,
  "service_specification_id": "{{ env.Getenv "SERVICE_SPECIFICATION_ID" }}",
  "icon": "material-symbols:speed-rounded",
  "annotations": {
    "show_on": [
      "performance"
    ],
    "runs_over": "scope"
  },
  "parameters": {
    "schema": {
      "type": "object",
      "required": [
        "scope_id",
        "value"
      ],
      "properties": {
        "scope_id": {
          "type": "number",
          "readOnly": true,
          "visibleOn": []
        },
        "value": {
          "type": "integer",
          "minimum": 0,
          "maximum": 10000,
          "description": "Provisioned concurrent executions on the main alias (0 removes it)"
        }
      }
    },
    "values": {}
  },
  "results": {
    "schema": {
      "type": "object",
      "required": [],
      "properties": {}
    },
    "values": {}
  }
}

{
  "name": "Adjust reserved concurrency",
  "slug": "adjust-reserved-concurrency",
  "type": "custom",
  "retryable": true,
  "service_specification_id": "{{ env.Getenv "SERVICE_SPECIFICATION_ID" }}",
  "icon": "material-symbols:lock-rounded",
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
          "minimum": -1,
          "maximum": 10000,
          "description": "Reserved concurrent executions (-1 removes the reservation, 0 stops the function)"
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

{
  "name": "Invoke",
  "slug": "invoke",
  "type": "custom",
  "retryable": true,
  "service_specification_id": "{{ env.Getenv "SERVICE_SPECIFICATION_ID" }}",
  "description": "Invoke the function with a JSON payload and show the response",
  "icon": "material-symbols:play-arrow-rounded",
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
        "scope_id"
      ],
      "properties": {
        "scope_id": {
          "type": "number",
          "readOnly": true,
          "visibleOn": []
        },
        "payload": {
          "type": "string",
          "description": "JSON payload sent to the function",
          "default": "{}"
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

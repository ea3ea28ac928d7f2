{
  "name": "start-blue-green",
  "slug": "start-blue-green",
  "type": "custom",
  "retryable": true,
  "service_specification_id": "{{ env.Getenv "SERVICE_SPECIFICATION_ID" }}",
  "description": "Blue/green deployment: publish the new version next to the current one",
  "parameters": {
    "schema": {
      "type": "object",
      "required": [
        "scope_id",
        "deployment_id"
      ],
      "properties": {
        "scope_id": {
          "type": "string"
        },
        "deployment_id": {
          "type": "string"
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

{
  "name": "AWS Lambda",
  "description": "Serverless functions on AWS Lambda, run by the nullplatform agent",
  "nrn": "{{ env.Getenv "NRN" }}",
  "provider_id": "{{ env.Getenv "SERVICE_SPECIFICATION_ID" }}",
  "provider_type": "service",
  "status": "active",
  "type": "custom"
}

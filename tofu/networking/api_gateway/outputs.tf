output "api_id" {
  description = "Id of the scope's HTTP API."
  value       = aws_apigatewayv2_api.http.id
}

output "api_endpoint" {
  description = "The API's own https endpoint (works without a custom domain)."
  value       = aws_apigatewayv2_api.http.api_endpoint
}

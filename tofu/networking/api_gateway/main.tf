locals {
  api_custom_domain = var.domain_name != "" && var.api_certificate_arn != ""
}

resource "aws_apigatewayv2_api" "http" {
  name          = var.function_name
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_integration" "lambda" {
  api_id                 = aws_apigatewayv2_api.http.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_alias.main.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "default" {
  #checkov:skip=CKV_AWS_309: a public scope is a public HTTP endpoint; authorization is the application's
  api_id    = aws_apigatewayv2_api.http.id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.lambda.id}"
}

resource "aws_apigatewayv2_stage" "default" {
  #checkov:skip=CKV_AWS_76: HTTP API access logs need account-wide logs:PutResourcePolicy and log-delivery grants the permissions role does not get; the function logs every request
  api_id      = aws_apigatewayv2_api.http.id
  name        = "$default"
  auto_deploy = true
}

resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = aws_lambda_alias.main.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.http.execution_arn}/*/*"
}

resource "aws_apigatewayv2_domain_name" "scope" {
  count       = local.api_custom_domain ? 1 : 0
  domain_name = var.domain_name

  domain_name_configuration {
    certificate_arn = var.api_certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }
}

resource "aws_apigatewayv2_api_mapping" "scope" {
  count       = local.api_custom_domain ? 1 : 0
  api_id      = aws_apigatewayv2_api.http.id
  domain_name = aws_apigatewayv2_domain_name.scope[0].id
  stage       = aws_apigatewayv2_stage.default.id
}

# What dns/route53 points the scope's record at (only with a custom domain).
locals {
  dns_target = local.api_custom_domain ? {
    name    = aws_apigatewayv2_domain_name.scope[0].domain_name_configuration[0].target_domain_name
    zone_id = aws_apigatewayv2_domain_name.scope[0].domain_name_configuration[0].hosted_zone_id
  } : null
}

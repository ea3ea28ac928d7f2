"""Creates in moto every AWS resource the scope's tofu modules would manage for scope 9001
(function s9001-shop-api), as if an earlier apply had made them and the state was lost,
and prints their ids as JSON (a private scope's listener included). Usage:
adoptable_scope.py public|private
(set-up for tests/it/tofu_modules.rs; one boto3 process instead of a CLI call per resource)."""
import io
import json
import sys
import zipfile

import boto3

visibility = sys.argv[1]
function = "s9001-shop-api"
domain = "prod-shop-api.example.com"
session = boto3.session.Session(region_name="us-east-1")
iam = session.client("iam")
lam = session.client("lambda")
logs = session.client("logs")
route53 = session.client("route53")
ids = {}

trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName=f"np-lambda-{function}-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
code = io.BytesIO()
with zipfile.ZipFile(code, "w") as archive:
    archive.writestr("index.js", "exports.handler = async () => 1;")
lam.create_function(FunctionName=function, Runtime="nodejs20.x", Handler="index.handler", Role=role, Code={"ZipFile": code.getvalue()})
version = lam.publish_version(FunctionName=function)["Version"]
lam.create_alias(FunctionName=function, Name="main", FunctionVersion=version)
logs.create_log_group(logGroupName=f"/aws/lambda/{function}")
# A log group whose name only starts like the function's: never adopted.
logs.create_log_group(logGroupName=f"/aws/lambda/{function}-old")

if visibility == "public":
    api = session.client("apigatewayv2")
    api_id = api.create_api(Name=function, ProtocolType="HTTP")["ApiId"]
    # Another scope's API: never adopted.
    api.create_api(Name="s9002-shop-api", ProtocolType="HTTP")
    integration = api.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=f"arn:aws:lambda:us-east-1:123456789012:function:{function}:main", PayloadFormatVersion="2.0")["IntegrationId"]
    route = api.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration}")["RouteId"]
    api.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    api.create_domain_name(DomainName=domain, DomainNameConfigurations=[{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc", "EndpointType": "REGIONAL"}])
    mapping = api.create_api_mapping(DomainName=domain, ApiId=api_id, Stage="$default")["ApiMappingId"]
    ids.update(api=api_id, integration=integration, route=route, mapping=mapping)
    principal, sid, source = "apigateway.amazonaws.com", "AllowApiGatewayInvoke", f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/*"
else:
    ec2 = session.client("ec2")
    elb = session.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    balancer = elb.create_load_balancer(Name="internal", Scheme="internal", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    fallback = elb.create_target_group(Name="default", TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    listener = elb.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": fallback}])["Listeners"][0]["ListenerArn"]
    # Another scope's rule: never adopted.
    other = elb.create_target_group(Name="np-9002", TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    elb.create_rule(ListenerArn=listener, Priority=4, Conditions=[{"Field": "host-header", "Values": ["other.example.com"]}], Actions=[{"Type": "forward", "TargetGroupArn": other}])
    group = elb.create_target_group(Name="np-9001", TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    rule = elb.create_rule(ListenerArn=listener, Priority=5, Conditions=[{"Field": "host-header", "Values": [domain]}], Actions=[{"Type": "forward", "TargetGroupArn": group}])["Rules"][0]["RuleArn"]
    ids.update(listener=listener, target_group=group, rule=rule)
    principal, sid, source = "elasticloadbalancing.amazonaws.com", "AllowAlbInvoke", group

lam.add_permission(FunctionName=function, Qualifier="main", StatementId=sid, Action="lambda:InvokeFunction", Principal=principal, SourceArn=source)
zone = route53.create_hosted_zone(Name="example.com", CallerReference=visibility)["HostedZone"]["Id"].split("/")[-1]
route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {"Name": domain, "Type": "A", "AliasTarget": {"HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": "target.example.net", "EvaluateTargetHealth": False}}}]})
ids["zone"] = zone
print(json.dumps(ids))

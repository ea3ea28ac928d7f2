//! Adoption of a scope's resources that exist in AWS but not in its state (lost state,
//! a half-failed run, made by hand): compose-tofu lists what it finds in `imports.json`
//! and, for an apply, writes `import` blocks; run-tofu imports the list before a destroy.

use aws_config::SdkConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::aws::CallFailure;
use crate::report::StepError;
use crate::step::{progress, warn};

use super::hcl::hcl_string;
use super::listener::{listener_rules, ListenerRule};

/// The composed file holding the import blocks (apply).
pub const IMPORTS_FILE: &str = "imports.tf";
/// Every resource found, for run-tofu to import before a destroy.
pub const FOUND_FILE: &str = "imports.json";

/// One resource to adopt: the resource address in the composed root module and the
/// import id its provider expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    pub to: String,
    pub id: String,
    /// For a resource declared with `count = <condition> ? 1 : 0`: the same condition (a
    /// `local`), so the block imports into `[0]` only when the configuration declares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

impl Import {
    fn new(to: &str, id: impl Into<String>) -> Self {
        Import {
            to: to.to_string(),
            id: id.into(),
            when: None,
        }
    }

    fn counted(to: &str, id: impl Into<String>, when: &str) -> Self {
        Import {
            when: Some(when.to_string()),
            ..Import::new(to, id)
        }
    }

    /// The resource instance address (`[0]` for a counted resource).
    pub fn address(&self) -> String {
        match self.when {
            None => self.to.clone(),
            Some(_) => format!("{}[0]", self.to),
        }
    }
}

/// The text of `imports.tf`.
pub fn import_blocks(imports: &[Import]) -> String {
    let mut text = String::from(
        "# Written by compose-tofu: these resources exist in AWS; tofu adopts the ones the state lacks.\n",
    );
    for import in imports {
        match &import.when {
            None => text.push_str(&format!(
                "\nimport {{\n  to = {}\n  id = {}\n}}\n",
                import.to,
                hcl_string(&import.id)
            )),
            Some(condition) => text.push_str(&format!(
                "\nimport {{\n  for_each = {condition} ? {{ {} = 0 }} : {{}}\n  to       = {}[each.value]\n  id       = each.key\n}}\n",
                hcl_string(&import.id),
                import.to
            )),
        }
    }
    text
}

/// What the composition declares, to look up in AWS.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub function: String,
    pub main_alias: String,
    pub execution_role: String,
    /// networking/alb: the private listener and the scope's target group name.
    pub alb: Option<(String, String)>,
    /// networking/api_gateway: the scope's custom domain, when it has one.
    pub api: Option<Option<String>>,
    /// dns/route53: the hosted zone id and the record name.
    pub dns_record: Option<(String, String)>,
    /// The private listener's rules when compose-tofu already read them (priority
    /// allocation); read here otherwise.
    pub listener_rules: Option<Vec<ListenerRule>>,
}

/// A lookup's answer: found (`Some`), absent (`None`), or a failure that is reported
/// as a warning and treated as absent — tofu then creates as usual.
fn found<T, E, R>(
    call: &str,
    what: &str,
    result: Result<T, aws_smithy_runtime_api::client::result::SdkError<E, R>>,
) -> Option<T>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + crate::aws::HttpStatus + 'static,
{
    match result {
        Ok(answer) => Some(answer),
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if !failure.is_not_found() {
                warn(format!(
                    "{call} on {what} failed ({}): it is not adopted if it exists",
                    failure.summary()
                ));
            }
            None
        }
    }
}

/// The Sids of a function's resource policy (on a qualifier).
async fn permission_sids(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    qualifier: &str,
) -> Vec<String> {
    let Some(answer) = found(
        "lambda:GetPolicy",
        &format!("{function}:{qualifier}"),
        lambda
            .get_policy()
            .function_name(function)
            .qualifier(qualifier)
            .send()
            .await,
    ) else {
        return Vec::new();
    };
    let policy: Value = answer
        .policy()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null);
    policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|statement| statement["Sid"].as_str().map(str::to_string))
        .collect()
}

/// compute/lambda: the function, its main alias (and the permission `sid` on it), and
/// its log group.
async fn lambda_imports(
    config: &SdkConfig,
    targets: &Targets,
    sid: Option<(&str, &str)>,
) -> Vec<Import> {
    let lambda = aws_sdk_lambda::Client::new(config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let function = &targets.function;
    let log_group = format!("/aws/lambda/{function}");
    let mut imports = Vec::new();
    let (function_found, log_groups) = tokio::join!(
        lambda.get_function().function_name(function).send(),
        logs.describe_log_groups()
            .log_group_name_prefix(&log_group)
            .send()
    );
    if found("lambda:GetFunction", function, function_found).is_some() {
        imports.push(Import::new("aws_lambda_function.this", function.clone()));
        let alias = lambda
            .get_alias()
            .function_name(function)
            .name(&targets.main_alias)
            .send()
            .await;
        if found(
            "lambda:GetAlias",
            &format!("{function}:{}", targets.main_alias),
            alias,
        )
        .is_some()
        {
            imports.push(Import::new(
                "aws_lambda_alias.main",
                format!("{function}/{}", targets.main_alias),
            ));
            if let Some((to, sid)) = sid {
                if permission_sids(&lambda, function, &targets.main_alias)
                    .await
                    .iter()
                    .any(|found| found == sid)
                {
                    imports.push(Import::new(
                        to,
                        format!("{function}:{}/{sid}", targets.main_alias),
                    ));
                }
            }
        }
    }
    if let Some(answer) = found("logs:DescribeLogGroups", &log_group, log_groups) {
        if answer
            .log_groups()
            .iter()
            .any(|group| group.log_group_name() == Some(log_group.as_str()))
        {
            imports.push(Import::new("aws_cloudwatch_log_group.function", log_group));
        }
    }
    imports
}

/// iam: the execution role.
async fn iam_imports(config: &SdkConfig, targets: &Targets) -> Vec<Import> {
    let iam = aws_sdk_iam::Client::new(config);
    let role = &targets.execution_role;
    match found(
        "iam:GetRole",
        role,
        iam.get_role().role_name(role).send().await,
    ) {
        Some(_) => vec![Import::new("aws_iam_role.execution", role.clone())],
        None => Vec::new(),
    }
}

/// networking/alb: the target group, and the listener rule forwarding to it.
async fn alb_imports(
    config: &SdkConfig,
    listener: &str,
    group_name: &str,
    known_rules: Option<&[ListenerRule]>,
) -> Vec<Import> {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let Some(groups) = found(
        "elasticloadbalancing:DescribeTargetGroups",
        group_name,
        elb.describe_target_groups().names(group_name).send().await,
    ) else {
        return Vec::new();
    };
    let Some(group_arn) = groups
        .target_groups()
        .iter()
        .find_map(|group| group.target_group_arn())
    else {
        return Vec::new();
    };
    let mut imports = vec![Import::new("aws_lb_target_group.function", group_arn)];
    let rules = match known_rules {
        Some(rules) => Ok(rules.to_vec()),
        None => listener_rules(&elb, listener).await,
    };
    match rules {
        Ok(rules) => {
            if let Some(rule) = rules
                .iter()
                .find(|rule| rule.target_group_arns.iter().any(|arn| arn == group_arn))
                .and_then(|rule| rule.arn.clone())
            {
                imports.push(Import::new("aws_lb_listener_rule.scope", rule));
            }
        }
        Err(failure) => warn(format!(
            "elasticloadbalancing:DescribeRules on the private listener failed ({}): the scope's rule is not adopted if it exists",
            failure.summary()
        )),
    }
    imports
}

/// networking/api_gateway: the HTTP API named after the function (one only), its
/// `$default` stage, route and the route's integration, and the custom domain with its
/// mapping.
async fn api_imports(config: &SdkConfig, name: &str, domain: Option<&str>) -> Vec<Import> {
    let api = aws_sdk_apigatewayv2::Client::new(config);
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let Some(page) = found(
            "apigateway:GET /apis",
            name,
            api.get_apis().set_next_token(token.clone()).send().await,
        ) else {
            return Vec::new();
        };
        ids.extend(
            page.items()
                .iter()
                .filter(|item| item.name() == Some(name))
                .filter_map(|item| item.api_id().map(str::to_string)),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let api_id = match ids.as_slice() {
        [] => return Vec::new(),
        [one] => one.clone(),
        several => {
            warn(format!(
                "{} HTTP APIs are named {name} ({}): none is adopted; delete the ones the scope does not use",
                several.len(),
                several.join(", ")
            ));
            return Vec::new();
        }
    };
    let mut imports = vec![Import::new("aws_apigatewayv2_api.http", api_id.clone())];
    let (stage, routes) = tokio::join!(
        api.get_stage()
            .api_id(&api_id)
            .stage_name("$default")
            .send(),
        api.get_routes().api_id(&api_id).send()
    );
    if found("apigateway:GET stage", "$default", stage).is_some() {
        imports.push(Import::new(
            "aws_apigatewayv2_stage.default",
            format!("{api_id}/$default"),
        ));
    }
    if let Some(route) = found("apigateway:GET routes", &api_id, routes).and_then(|routes| {
        routes
            .items()
            .iter()
            .find(|route| route.route_key() == Some("$default"))
            .cloned()
    }) {
        if let Some(route_id) = route.route_id() {
            imports.push(Import::new(
                "aws_apigatewayv2_route.default",
                format!("{api_id}/{route_id}"),
            ));
        }
        if let Some(integration) = route.target().and_then(|t| t.strip_prefix("integrations/")) {
            imports.push(Import::new(
                "aws_apigatewayv2_integration.lambda",
                format!("{api_id}/{integration}"),
            ));
        }
    }
    if let Some(domain) = domain {
        if found(
            "apigateway:GET domain name",
            domain,
            api.get_domain_name().domain_name(domain).send().await,
        )
        .is_some()
        {
            imports.push(Import::counted(
                "aws_apigatewayv2_domain_name.scope",
                domain,
                "local.api_custom_domain",
            ));
            if let Some(mappings) = found(
                "apigateway:GET api mappings",
                domain,
                api.get_api_mappings().domain_name(domain).send().await,
            ) {
                if let Some(mapping) = mappings
                    .items()
                    .iter()
                    .find(|mapping| mapping.api_id() == Some(api_id.as_str()))
                    .and_then(|mapping| mapping.api_mapping_id())
                {
                    imports.push(Import::counted(
                        "aws_apigatewayv2_api_mapping.scope",
                        format!("{mapping}/{domain}"),
                        "local.api_custom_domain",
                    ));
                }
            }
        }
    }
    imports
}

/// A record name as Route 53 returns it (lower case, trailing dot).
fn record_name(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.').to_ascii_lowercase())
}

/// dns/route53: the scope's A record.
async fn dns_imports(config: &SdkConfig, zone: &str, domain: &str) -> Vec<Import> {
    let route53 = aws_sdk_route53::Client::new(config);
    let zone_id = zone.trim_start_matches("/hostedzone/");
    let Some(answer) = found(
        "route53:ListResourceRecordSets",
        zone_id,
        route53
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .start_record_name(domain)
            .start_record_type(aws_sdk_route53::types::RrType::A)
            .max_items(1)
            .send()
            .await,
    ) else {
        return Vec::new();
    };
    let exists = answer.resource_record_sets().iter().any(|set| {
        record_name(set.name()) == record_name(domain)
            && set.r#type() == &aws_sdk_route53::types::RrType::A
    });
    if exists {
        vec![Import::counted(
            "aws_route53_record.scope",
            format!("{zone_id}_{}_A", domain.trim_end_matches('.')),
            "local.dns_record_enabled",
        )]
    } else {
        Vec::new()
    }
}

/// Looks every target up (concurrently) and lists what exists.
pub async fn discover(config: &SdkConfig, targets: &Targets) -> Vec<Import> {
    let sid = match (&targets.alb, &targets.api) {
        (Some(_), _) => Some(("aws_lambda_permission.alb", "AllowAlbInvoke")),
        (None, Some(_)) => Some(("aws_lambda_permission.api_gateway", "AllowApiGatewayInvoke")),
        (None, None) => None,
    };
    let alb = async {
        match &targets.alb {
            Some((listener, group)) => {
                alb_imports(config, listener, group, targets.listener_rules.as_deref()).await
            }
            None => Vec::new(),
        }
    };
    let api = async {
        match &targets.api {
            Some(domain) => api_imports(config, &targets.function, domain.as_deref()).await,
            None => Vec::new(),
        }
    };
    let dns = async {
        match &targets.dns_record {
            Some((zone, domain)) => dns_imports(config, zone, domain).await,
            None => Vec::new(),
        }
    };
    let (role, lambda, alb, api, dns) = tokio::join!(
        iam_imports(config, targets),
        lambda_imports(config, targets, sid),
        alb,
        api,
        dns
    );
    [role, lambda, alb, api, dns].concat()
}

/// Looks the targets up and, when anything exists, writes `imports.json` and — for an
/// apply — `imports.tf` into `work_dir`.
pub async fn write_imports(
    config: &SdkConfig,
    work_dir: &std::path::Path,
    targets: &Targets,
    destroying: bool,
) -> Result<Vec<Import>, StepError> {
    // Without credentials every lookup would fail alike: say it once.
    if let Some(provider) = config.credentials_provider() {
        use aws_credential_types::provider::ProvideCredentials;
        if let Err(err) = provider.provide_credentials().await {
            warn(format!(
                "no AWS credentials to look up the scope's existing resources ({}): none is adopted",
                crate::aws::error_chain(&err)
            ));
            return Ok(Vec::new());
        }
    }
    let imports = discover(config, targets).await;
    if imports.is_empty() {
        return Ok(imports);
    }
    let write = |name: &str, text: String| {
        let file = work_dir.join(name);
        std::fs::write(&file, text).map_err(|err| {
            StepError::new(format!("could not write {}: {err}", file.display()))
                .cause("the working directory is not writable")
                .fix("check the permissions of OUTPUT_DIR")
        })
    };
    let listed = serde_json::to_string_pretty(&imports)
        .map_err(|err| StepError::new(format!("could not render {FOUND_FILE}: {err}")))?;
    write(FOUND_FILE, listed)?;
    if !destroying {
        write(IMPORTS_FILE, import_blocks(&imports))?;
    }
    progress(format!(
        "📥 {} of the scope's resources exist in AWS; tofu adopts the ones its state lacks{}: {}",
        imports.len(),
        if destroying {
            ", then destroys them"
        } else {
            ""
        },
        imports
            .iter()
            .map(|import| import.to.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(imports)
}

/// The resources compose-tofu found (`imports.json` in `work_dir`; none when absent).
pub fn found_in(work_dir: &std::path::Path) -> Result<Vec<Import>, StepError> {
    let file = work_dir.join(FOUND_FILE);
    match std::fs::read_to_string(&file) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(err) => Err(
            StepError::new(format!("could not read {}: {err}", file.display()))
                .fix("re-run compose-tofu"),
        ),
        Ok(text) => serde_json::from_str(&text).map_err(|err| {
            StepError::new(format!(
                "{} is not compose-tofu's list: {err}",
                file.display()
            ))
            .cause("the file was edited, or written by another version")
            .fix("re-run compose-tofu")
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_blocks_name_the_address_and_the_quoted_id() {
        let text = import_blocks(&[
            Import::new("aws_lambda_function.this", "s1-app-main"),
            Import::new("aws_apigatewayv2_stage.default", "a1b2/$default"),
        ]);
        assert!(
            text.contains("import {\n  to = aws_lambda_function.this\n  id = \"s1-app-main\"\n}"),
            "{text}"
        );
        assert!(text.contains("id = \"a1b2/$default\""), "{text}");
    }

    #[test]
    fn counted_blocks_import_only_when_the_condition_declares_the_resource() {
        let text = import_blocks(&[Import::counted(
            "aws_route53_record.scope",
            "Z1_a.example.com_A",
            "local.dns_record_enabled",
        )]);
        assert!(
            text.contains(
                "for_each = local.dns_record_enabled ? { \"Z1_a.example.com_A\" = 0 } : {}"
            ),
            "{text}"
        );
        assert!(
            text.contains("to       = aws_route53_record.scope[each.value]"),
            "{text}"
        );
        assert!(text.contains("id       = each.key"), "{text}");
    }

    #[test]
    fn ids_can_never_become_templates() {
        assert_eq!(hcl_string("a${b}%{c}\"d"), r#""a$${b}%%{c}\"d""#);
        assert_eq!(hcl_string("$default"), "\"$default\"");
    }

    #[test]
    fn the_found_list_round_trips_with_instance_addresses() {
        let found = vec![
            Import::new("aws_lambda_function.this", "f"),
            Import::counted(
                "aws_route53_record.scope",
                "Z_a_A",
                "local.dns_record_enabled",
            ),
        ];
        let text = serde_json::to_string(&found).unwrap();
        let back: Vec<Import> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, found);
        assert_eq!(back[0].address(), "aws_lambda_function.this");
        assert_eq!(back[1].address(), "aws_route53_record.scope[0]");
    }

    #[test]
    fn record_names_compare_as_route53_returns_them() {
        assert_eq!(record_name("Shop.Example.com"), "shop.example.com.");
        assert_eq!(record_name("shop.example.com."), "shop.example.com.");
    }
}

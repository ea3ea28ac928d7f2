//! Which Lambda function a telemetry request is about. Telemetry notifications carry
//! `.arguments.scope_id`, not a built scope: the name is derived from the application
//! and scope slugs when the notification has them, else found by the scope's tag.

use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::call_failed;
use crate::aws::CallFailure;
use crate::context::Context;
use crate::report::StepError;
use crate::scope_context::function_name;
use crate::step::{progress, warn};

/// The tag every resource of a scope carries.
pub const SCOPE_ID_TAG: &str = "nullplatform:scope-id";

/// How the function name was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundBy {
    /// Given on the command line.
    Given,
    /// Derived from the scope id and the application / scope slugs (not checked yet).
    Name,
    /// Found by the `nullplatform:scope-id` tag.
    Tag,
}

/// The function a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeFunction {
    pub name: String,
    pub found_by: FoundBy,
    pub scope_id: String,
}

impl ScopeFunction {
    /// CloudWatch Logs group Lambda writes to.
    pub fn log_group(&self) -> String {
        format!("/aws/lambda/{}", self.name)
    }

    /// Whether a missing function is worth a tag lookup (a derived name may be stale:
    /// a slug renamed after the function was created).
    pub fn may_be_elsewhere(&self) -> bool {
        self.found_by == FoundBy::Name
    }
}

/// The scope id of the request: `.arguments.scope_id`, then the usual places.
pub fn scope_id(ctx: &Context) -> Result<String, StepError> {
    ctx.string("arguments.scope_id")
        .or_else(|| ctx.scope_id())
        .ok_or_else(|| {
            StepError::new("the request names no scope: .arguments.scope_id is missing")
                .cause("the telemetry request was sent without the scope it is about")
                .fix("send .arguments.scope_id (the nullplatform scope id)")
                .usage()
        })
}

/// The application and scope slugs: the built context's `.application.slug` /
/// `.scope.slug`, else the notification's `.tags.application` / `.tags.scope`.
pub fn slugs(ctx: &Context) -> Option<(String, String)> {
    let application = ctx
        .string("application.slug")
        .or_else(|| ctx.string("tags.application"))?;
    let scope = ctx
        .string("scope.slug")
        .or_else(|| ctx.string("tags.scope"))?;
    Some((application, scope))
}

/// The function by name when the slugs are known (no AWS call), else by tag.
pub async fn resolve(
    ctx: &Context,
    given: Option<&str>,
    tagging: &aws_sdk_resourcegroupstagging::Client,
) -> Result<Option<ScopeFunction>, StepError> {
    if let Some(name) = given.filter(|name| !name.trim().is_empty()) {
        return Ok(Some(ScopeFunction {
            name: name.trim().to_string(),
            found_by: FoundBy::Given,
            scope_id: ctx.scope_id().unwrap_or_default(),
        }));
    }
    let scope_id = scope_id(ctx)?;
    if let Some((application, scope)) = slugs(ctx) {
        return Ok(Some(ScopeFunction {
            name: function_name(&scope_id, &application, &scope),
            found_by: FoundBy::Name,
            scope_id,
        }));
    }
    by_tag(tagging, &scope_id).await
}

/// Looks the scope's function up by its `nullplatform:scope-id` tag (Resource Groups
/// Tagging API); `None` when no function carries it.
pub async fn by_tag(
    tagging: &aws_sdk_resourcegroupstagging::Client,
    scope_id: &str,
) -> Result<Option<ScopeFunction>, StepError> {
    progress(format!(
        "🔍 Looking up the function tagged {SCOPE_ID_TAG}={scope_id}..."
    ));
    let filter = TagFilter::builder()
        .key(SCOPE_ID_TAG)
        .values(scope_id)
        .build();
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = tagging
            .get_resources()
            .tag_filters(filter.clone())
            .resource_type_filters("lambda:function")
            .set_pagination_token(token.clone())
            .send()
            .await
            .map_err(|err| {
                call_failed(
                    "tag:GetResources",
                    &format!("{SCOPE_ID_TAG}={scope_id}"),
                    &CallFailure::from_sdk(&err),
                )
            })?;
        names.extend(
            page.resource_tag_mapping_list()
                .iter()
                .filter_map(|mapping| mapping.resource_arn())
                .filter_map(function_name_of_arn),
        );
        token = page
            .pagination_token()
            .filter(|token| !token.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    names.sort();
    names.dedup();
    let chosen = pick(&names, scope_id);
    if names.len() > 1 {
        warn(format!(
            "{} functions carry {SCOPE_ID_TAG}={scope_id} ({}); reading {}",
            names.len(),
            names.join(", "),
            chosen.unwrap_or_default()
        ));
    }
    Ok(chosen.map(|name| ScopeFunction {
        name: name.to_string(),
        found_by: FoundBy::Tag,
        scope_id: scope_id.to_string(),
    }))
}

/// Several tagged functions: prefer the one named after the scope id (the scope's own).
fn pick<'a>(names: &'a [String], scope_id: &str) -> Option<&'a str> {
    let prefix = format!("{scope_id}-");
    names
        .iter()
        .find(|name| name.starts_with(&prefix))
        .or_else(|| names.first())
        .map(String::as_str)
}

/// `arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier]` → `name`.
pub fn function_name_of_arn(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    let service = parts.nth(2)?;
    let resource_type = parts.nth(2)?;
    let name = parts.next()?;
    (service == "lambda" && resource_type == "function" && !name.is_empty())
        .then(|| name.to_string())
}

/// The explanation when no function belongs to the scope.
pub fn no_function(scope_id: &str) -> StepError {
    StepError::new(format!("no Lambda function belongs to scope {scope_id}"))
        .cause("the scope has not been created yet, or its creation failed before the function existed")
        .cause(format!(
            "the function was created without the {SCOPE_ID_TAG} tag, or in another region"
        ))
        .fix("create the scope (or run its diagnose action), and check AWS_REGION")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn function_arns_give_their_name() {
        assert_eq!(
            function_name_of_arn("arn:aws:lambda:us-east-1:123456789012:function:42-app-prod")
                .as_deref(),
            Some("42-app-prod")
        );
        assert_eq!(
            function_name_of_arn("arn:aws:lambda:us-east-1:123456789012:function:f:main")
                .as_deref(),
            Some("f")
        );
        assert_eq!(
            function_name_of_arn("arn:aws:s3:::bucket"),
            None,
            "not a function"
        );
        assert_eq!(
            function_name_of_arn("arn:aws:lambda:us-east-1:1:layer:x:1"),
            None
        );
    }

    #[test]
    fn the_scope_own_function_wins_among_several() {
        let names = vec!["other".to_string(), "42-app-prod".to_string()];
        assert_eq!(pick(&names, "42"), Some("42-app-prod"));
        assert_eq!(pick(&names[..1], "42"), Some("other"));
        assert_eq!(pick(&[], "42"), None);
    }

    #[test]
    fn slugs_come_from_the_built_context_or_the_notification_tags() {
        let built = Context::from_value(json!({
            "application": {"slug": "orders"}, "scope": {"slug": "prod"},
            "tags": {"application": "x", "scope": "y"}
        }));
        assert_eq!(slugs(&built), Some(("orders".into(), "prod".into())));
        let telemetry = Context::from_value(
            json!({"tags": {"application": "orders-api", "scope": "orders-api-prod"}}),
        );
        assert_eq!(
            slugs(&telemetry),
            Some(("orders-api".into(), "orders-api-prod".into()))
        );
        assert_eq!(
            slugs(&Context::from_value(json!({"tags": {"application": "a"}}))),
            None
        );
    }

    #[test]
    fn scope_id_is_required() {
        let ctx = Context::from_value(json!({"arguments": {"scope_id": 415005828}}));
        assert_eq!(scope_id(&ctx).unwrap(), "415005828");
        assert_eq!(
            scope_id(&Context::from_value(json!({})))
                .unwrap_err()
                .exit_code,
            2
        );
    }
}

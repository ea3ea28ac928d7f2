//! The scope's domain: `<namespace>-<application>-<scope>[.<account>].<zone name>`,
//! checked against DNS limits (253 characters, 63 per label, letters, digits and
//! inner hyphens) and recorded on the scope through `np scope patch`.

use serde_json::json;

use crate::np::NpClient;
use crate::report::StepError;
use crate::step::{progress, warn, Outputs};

pub use crate::step::Env;

pub const MAX_DOMAIN: usize = 253;
pub const MAX_LABEL: usize = 63;

/// Builds and validates the domain from the slugs and the zone name.
pub fn scope_domain(
    namespace: &str,
    application: &str,
    scope: &str,
    account: Option<&str>,
    zone: &str,
) -> Result<String, StepError> {
    let mut labels = vec![format!("{namespace}-{application}-{scope}").to_ascii_lowercase()];
    if let Some(account) = account {
        labels.push(account.to_ascii_lowercase());
    }
    let zone = zone.trim().trim_end_matches('.').to_ascii_lowercase();
    let domain = format!("{}.{zone}", labels.join("."));
    let too_long = |what: String| {
        StepError::new(format!("the scope domain {domain} is not a valid DNS name: {what}"))
            .cause("the namespace, application or scope slug is too long or has characters DNS does not allow")
            .fix("shorten the slugs (the first label is <namespace>-<application>-<scope>), or set USE_ACCOUNT_SLUG=false")
            .usage()
    };
    if domain.len() > MAX_DOMAIN {
        return Err(too_long(format!(
            "{} characters (at most {MAX_DOMAIN})",
            domain.len()
        )));
    }
    for label in domain.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL {
            return Err(too_long(format!(
                "the label '{label}' has {} characters (1 to {MAX_LABEL})",
                label.len()
            )));
        }
        let allowed = label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !allowed || label.starts_with('-') || label.ends_with('-') {
            return Err(too_long(format!(
                "the label '{label}' may only hold letters, digits and inner hyphens"
            )));
        }
    }
    Ok(domain)
}

fn required(env: Env, name: &str) -> Result<String, StepError> {
    env(name).ok_or_else(|| {
        StepError::new(format!("{name} is not set"))
            .cause("build-scope-context did not run before generate-domain")
            .fix("run build-scope-context first")
            .usage()
    })
}

/// The generate-domain step. The zone is the public one for public scopes and the
/// private one for private scopes (`HOSTED_PUBLIC_ZONE_NAME` / `HOSTED_PRIVATE_ZONE_NAME`);
/// without a zone name the scope has no domain (said once). A failed `np scope patch`
/// is a warning: the scope works without the domain recorded.
pub fn generate_domain_step(env: Env) -> Result<Outputs, StepError> {
    let visibility = required(env, "VISIBILITY")?;
    let mut outputs = Outputs::new();
    let zone = match visibility.as_str() {
        "public" => env("HOSTED_PUBLIC_ZONE_NAME"),
        "private" => env("HOSTED_PRIVATE_ZONE_NAME"),
        _ => None,
    };
    let Some(zone) = zone else {
        progress(format!(
            "ℹ️  no hosted zone name for this {visibility} scope: it gets no domain"
        ));
        outputs.set("SCOPE_DOMAIN", "");
        return Ok(outputs);
    };
    let use_account = env("USE_ACCOUNT_SLUG").as_deref() == Some("true");
    let account = if use_account {
        Some(required(env, "ACCOUNT_SLUG")?)
    } else {
        None
    };
    let domain = scope_domain(
        &required(env, "NAMESPACE_SLUG")?,
        &required(env, "APPLICATION_SLUG")?,
        &required(env, "SCOPE_SLUG")?,
        account.as_deref(),
        &zone,
    )?;
    progress(format!("🌐 scope domain: {domain}"));
    let scope_id = required(env, "SCOPE_ID")?;
    let body = json!({ "domain": domain }).to_string();
    // `--format json`: without it np may answer in its table format, which is not JSON.
    let args = [
        "scope", "patch", "--id", &scope_id, "--body", &body, "--format", "json",
    ];
    match NpClient::from_env().json(&args) {
        Ok(_) => progress(format!("✅ domain recorded on scope {scope_id}")),
        Err(err) => warn(format!(
            "the domain could not be recorded on scope {scope_id} (the scope still works): {}",
            err.what
        )),
    }
    outputs.set("SCOPE_DOMAIN", domain);
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_has_the_slugs_and_optionally_the_account() {
        assert_eq!(
            scope_domain("tools", "automation", "dev", None, "example.com.").unwrap(),
            "tools-automation-dev.example.com"
        );
        assert_eq!(
            scope_domain(
                "tools",
                "automation",
                "dev",
                Some("playground"),
                "Example.com"
            )
            .unwrap(),
            "tools-automation-dev.playground.example.com"
        );
    }

    #[test]
    fn dns_limits_are_enforced() {
        let long = "a".repeat(60);
        let err = scope_domain(&long, "app", "scope", None, "example.com").unwrap_err();
        assert!(err.what.contains("1 to 63"), "{err}");
        assert_eq!(err.exit_code, 2);
        let err = scope_domain("ns", "app_x", "s", None, "example.com").unwrap_err();
        assert!(
            err.what.contains("letters, digits and inner hyphens"),
            "{err}"
        );
        let zone = vec!["z".repeat(60); 5].join(".");
        let err = scope_domain("ns", "app", "s", None, &zone).unwrap_err();
        assert!(err.what.contains("at most 253"), "{err}");
    }
}

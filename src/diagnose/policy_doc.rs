//! Reading IAM-style policy documents the checks meet (role trust policies, ECR
//! repository policies, Lambda resource policies): does an Allow statement grant a
//! service principal the given actions?

use serde_json::Value;

/// IAM returns policy documents URL-encoded; decodes `%XX` (and leaves the rest).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("");
            if let Ok(byte) = u8::from_str_radix(hex, 16) {
                out.push(byte);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a policy document, URL-encoded or not.
pub fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text)
        .ok()
        .or_else(|| serde_json::from_str(&percent_decode(text)).ok())
}

/// A string or a list of strings, as a list.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    }
}

/// Does `pattern` (an IAM action, possibly with `*`) cover `action`?
fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    match pattern.strip_suffix('*') {
        Some(prefix) => action.starts_with(prefix),
        None => pattern == action,
    }
}

fn grants_service(statement: &Value, service: &str) -> bool {
    match statement.get("Principal") {
        Some(Value::String(star)) => star == "*",
        Some(principal) => {
            strings(principal.get("Service"))
                .iter()
                .any(|s| s == service)
                || strings(principal.get("AWS")).iter().any(|s| s == "*")
        }
        None => false,
    }
}

/// The Allow statements granting `service` every one of `actions`.
pub fn allowing_service<'a>(doc: &'a Value, service: &str, actions: &[&str]) -> Vec<&'a Value> {
    statements(doc)
        .into_iter()
        .filter(|statement| statement.get("Effect").and_then(Value::as_str) == Some("Allow"))
        .filter(|statement| grants_service(statement, service))
        .filter(|statement| {
            let granted = strings(statement.get("Action"));
            actions.iter().all(|action| {
                granted
                    .iter()
                    .any(|pattern| action_matches(pattern, action))
            })
        })
        .collect()
}

/// Every service principal an Allow statement names (for evidence).
pub fn service_principals(doc: &Value) -> Vec<String> {
    let mut found: Vec<String> = statements(doc)
        .into_iter()
        .filter(|statement| statement.get("Effect").and_then(Value::as_str) == Some("Allow"))
        .flat_map(|statement| strings(statement.get("Principal").and_then(|p| p.get("Service"))))
        .collect();
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_url_encoded_documents() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            parse(encoded).unwrap(),
            json!({"Version": "2012-10-17", "Statement": []})
        );
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn finds_service_grants() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "*"},
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": ["ecr:*"]}
        ]});
        assert_eq!(
            allowing_service(&doc, "lambda.amazonaws.com", &["sts:AssumeRole"]).len(),
            1
        );
        assert!(allowing_service(&doc, "ecs.amazonaws.com", &["sts:AssumeRole"]).is_empty());
        assert_eq!(
            allowing_service(
                &doc,
                "ecs-tasks.amazonaws.com",
                &["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
            )
            .len(),
            1
        );
        assert!(allowing_service(&doc, "lambda.amazonaws.com", &["ecr:BatchGetImage"]).is_empty());
        assert_eq!(
            service_principals(&doc),
            vec!["ecs-tasks.amazonaws.com", "lambda.amazonaws.com"]
        );
    }

    #[test]
    fn single_statement_object_and_star_principal() {
        let doc = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}});
        assert_eq!(
            allowing_service(
                &doc,
                "lambda.amazonaws.com",
                &["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
            )
            .len(),
            1
        );
    }
}

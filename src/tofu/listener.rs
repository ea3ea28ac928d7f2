//! A private scope's ALB listener rules: reading them (`DescribeRules`, every page) and
//! choosing the scope's rule priority — the one its own rule holds, else the lowest
//! free. compose-tofu allocates with them; the adoption lookup finds the scope's rule.

use crate::aws::CallFailure;

/// The scope's target group name (as networking/alb names it).
pub fn target_group_name(scope_id: &str) -> String {
    format!("np-{scope_id}").chars().take(32).collect()
}

/// One listener rule as allocation sees it: its priority (`None` for the default
/// rule) and the target groups it forwards to.
#[derive(Debug, Clone)]
pub struct ListenerRule {
    pub arn: Option<String>,
    pub priority: Option<u32>,
    pub target_group_arns: Vec<String>,
}

/// The scope's priority: the one its own rule already holds (it forwards to the scope's
/// target group), else the lowest priority no rule holds — never another scope's.
pub fn allocate_priority(rules: &[ListenerRule], scope_id: &str) -> u32 {
    let own = format!(":targetgroup/{}/", target_group_name(scope_id));
    if let Some(priority) = rules
        .iter()
        .find(|rule| rule.target_group_arns.iter().any(|arn| arn.contains(&own)))
        .and_then(|rule| rule.priority)
    {
        return priority;
    }
    let taken: std::collections::BTreeSet<u32> = rules.iter().filter_map(|r| r.priority).collect();
    (1..)
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or(1)
}

/// Every rule of a listener (`elasticloadbalancing:DescribeRules`, all pages).
pub async fn listener_rules(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    listener: &str,
) -> Result<Vec<ListenerRule>, CallFailure> {
    let mut rules = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .describe_rules()
            .listener_arn(listener)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|err| CallFailure::from_sdk(&err))?;
        for rule in page.rules() {
            let mut arns = Vec::new();
            for action in rule.actions() {
                if let Some(arn) = action.target_group_arn() {
                    arns.push(arn.to_string());
                }
                if let Some(forward) = action.forward_config() {
                    for group in forward.target_groups() {
                        if let Some(arn) = group.target_group_arn() {
                            arns.push(arn.to_string());
                        }
                    }
                }
            }
            rules.push(ListenerRule {
                arn: rule.rule_arn().map(str::to_string),
                priority: rule.priority().and_then(|p| p.parse().ok()),
                target_group_arns: arns,
            });
        }
        marker = page.next_marker().map(str::to_string);
        if marker.is_none() {
            return Ok(rules);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_is_the_scopes_own_or_the_lowest_free() {
        let rule = |priority: Option<u32>, group: &str| ListenerRule {
            arn: None,
            priority,
            target_group_arns: vec![format!(
                "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/{group}/abc"
            )],
        };
        let rules = vec![
            rule(Some(1), "np-1"),
            rule(Some(2), "np-2"),
            rule(Some(4), "np-90"),
            rule(None, "default"),
        ];
        assert_eq!(allocate_priority(&rules, "9"), 3);
        assert_eq!(allocate_priority(&rules, "90"), 4);
        assert_eq!(allocate_priority(&[], "9"), 1);
    }
}

//! The step names an override may use beyond a workflow's own, per workflow (its
//! `WORKFLOW_ACTION`): other names of our steps (the reference scope's, our former ones),
//! and the reference steps whose work one of ours does, so that an override naming them
//! fails with the step it should name instead of being silently dropped.

/// What a name that is not one of the workflow's steps stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counterpart {
    /// Another name of our step `.0`: anchors, skips, replacements and merges reach it.
    Alias(&'static str),
    /// A reference step whose work our step `.0` does among other things; `.1` says how.
    PartOf(&'static str, &'static str),
    /// A reference step whose work does not happen in this workflow; `.0` says where.
    Elsewhere(&'static str),
}

/// One name of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub name: &'static str,
    pub counterpart: Counterpart,
}

const fn alias(name: &'static str, step: &'static str) -> Entry {
    Entry {
        name,
        counterpart: Counterpart::Alias(step),
    }
}

const fn part_of(name: &'static str, step: &'static str, how: &'static str) -> Entry {
    Entry {
        name,
        counterpart: Counterpart::PartOf(step, how),
    }
}

const fn elsewhere(name: &'static str, place: &'static str) -> Entry {
    Entry {
        name,
        counterpart: Counterpart::Elsewhere(place),
    }
}

/// The reference runs five steps to build the OpenTofu composition; compose-tofu is one.
const COMPOSE: &str = "compose-tofu chooses the modules, writes their variables and adopts what AWS already holds, in one step";
const TOFU_NAMES: &[Entry] = &[
    alias("compose_modules", "compose_tofu"),
    alias("do_tofu", "tofu"),
    part_of("build_tofu_context", "compose_tofu", COMPOSE),
    part_of("setup_provider", "compose_tofu", COMPOSE),
    part_of("setup_iam", "compose_tofu", COMPOSE),
    part_of("setup_compute", "compose_tofu", COMPOSE),
];
const SCOPE_CONTEXT: &[Entry] = &[alias("build_scope_context", "build_context")];
const DEPLOYMENT_CONTEXT: &[Entry] = &[alias("build_deployment_context", "build_context")];
const SYNC: &[Entry] = &[part_of(
    "sync_parameters_to_secrets_manager",
    "update_function_configuration",
    "update-function-configuration writes the parameters (environment or Secrets Manager) with the function's settings",
)];
const DIAGNOSE_HOOKS: &str = "diagnose runs every check and reports each one itself (the reference's before_each / after_each hooks)";
const DIAGNOSE: &[Entry] = &[
    part_of("notify_check_running", "diagnose", DIAGNOSE_HOOKS),
    part_of("notify_check_results", "diagnose", DIAGNOSE_HOOKS),
];

/// The names an override of the workflow `WORKFLOW_ACTION` may use beyond its steps.
pub fn table(workflow_action: &str) -> Vec<Entry> {
    let parts: &[&[Entry]] = match workflow_action {
        "scope/create" => &[
            SCOPE_CONTEXT,
            TOFU_NAMES,
            &[
                alias("store_nrn_metadata", "store_metadata"),
                alias("store_scope_metadata", "store_metadata"),
            ],
        ],
        "scope/update" => &[
            SCOPE_CONTEXT,
            TOFU_NAMES,
            &[part_of(
                "update_iam",
                "tofu",
                "the OpenTofu apply reconciles the execution role with the scope's capabilities",
            )],
        ],
        "scope/delete" => &[
            SCOPE_CONTEXT,
            TOFU_NAMES,
            &[
                part_of("build_destroy_context", "compose_tofu", COMPOSE),
                alias("delete_scope_secrets", "delete_sm_secrets"),
            ],
        ],
        "scope/diagnose" => &[SCOPE_CONTEXT, DIAGNOSE],
        "scope/invoke" => &[SCOPE_CONTEXT, &[alias("invoke_function", "invoke_lambda")]],
        "scope/adjust_provisioned_concurrency" => &[
            SCOPE_CONTEXT,
            &[alias("adjust_concurrency", "adjust_provisioned_concurrency")],
        ],
        "scope/adjust_reserved_concurrency" => &[
            SCOPE_CONTEXT,
            &[alias("adjust_concurrency", "adjust_reserved_concurrency")],
        ],
        "deployment/initial" => &[DEPLOYMENT_CONTEXT, SYNC],
        "deployment/blue_green" => &[
            DEPLOYMENT_CONTEXT,
            SYNC,
            &[elsewhere(
                "wait_provisioned_concurrency",
                "it runs in deployment/finalize and deployment/rollback here, once traffic moves to a version",
            )],
        ],
        "deployment/switch_traffic" => &[DEPLOYMENT_CONTEXT],
        "deployment/finalize" => &[
            DEPLOYMENT_CONTEXT,
            &[part_of(
                "cleanup_old_version",
                "finalize_traffic",
                "update-alias (finalize) deletes the blue version and its parameters secret once all traffic is on green",
            )],
        ],
        "deployment/rollback" => &[
            DEPLOYMENT_CONTEXT,
            &[
                alias("rollback_traffic", "restore_alias"),
                part_of(
                    "cleanup_new_version",
                    "restore_alias",
                    "update-alias (rollback) deletes the green version and its parameters secret once all traffic is back on blue",
                ),
            ],
        ],
        "deployment/delete" => &[DEPLOYMENT_CONTEXT, &[alias("delete_version", "cleanup_version")]],
        "deployment/diagnose" => &[DEPLOYMENT_CONTEXT, DIAGNOSE],
        "log/log" => &[&[
            alias("read_logs", "fetch_logs"),
            part_of(
                "build_context",
                "fetch_logs",
                "read-logs reads the scope and the function's log group itself",
            ),
        ]],
        "metric/metric" => &[&[
            alias("read_metric", "fetch_metric"),
            part_of(
                "build_context",
                "fetch_metric",
                "read-metrics reads the scope and the query itself",
            ),
        ]],
        "instance/list" => &[&[part_of(
            "build_context",
            "list_instances",
            "list-instances reads the scope and the function itself",
        )]],
        _ => &[],
    };
    parts.iter().flat_map(|part| part.iter().copied()).collect()
}

/// What an override's step names mean for one workflow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub workflow: Option<String>,
    entries: Vec<Entry>,
}

impl Names {
    pub fn for_workflow(workflow_action: Option<&str>) -> Names {
        Names {
            workflow: workflow_action.map(str::to_string),
            entries: workflow_action.map(table).unwrap_or_default(),
        }
    }

    pub fn get(&self, name: &str) -> Option<Counterpart> {
        self.entries
            .iter()
            .find(|entry| entry.name == name)
            .map(|entry| entry.counterpart)
    }

    /// Our step `name` stands for, when it is an alias.
    pub fn alias_of(&self, name: &str) -> Option<&'static str> {
        match self.get(name)? {
            Counterpart::Alias(step) => Some(step),
            _ => None,
        }
    }

    /// `other (= ours)` for every alias whose step is among `present`.
    pub fn aliases_of(&self, present: &[&str]) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|entry| match entry.counterpart {
                Counterpart::Alias(step) if present.contains(&step) => {
                    Some(format!("{} (= {step})", entry.name))
                }
                _ => None,
            })
            .collect()
    }

    /// Why `name` is not a step here, when the table knows it.
    pub fn explain(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Counterpart::Alias(step) => Some(format!(
                "`{name}` stands for `{step}`, which this workflow no longer has at that point"
            )),
            Counterpart::PartOf(step, how) => {
                Some(format!("`{name}` is part of `{step}` here: {how}"))
            }
            Counterpart::Elsewhere(place) => Some(format!(
                "`{name}` does not happen in this workflow: {place}"
            )),
        }
    }

    /// The step to name instead of `name`, when there is one.
    pub fn instead(&self, name: &str) -> Option<&'static str> {
        match self.get(name)? {
            Counterpart::Alias(step) | Counterpart::PartOf(step, _) => Some(step),
            Counterpart::Elsewhere(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_explain_themselves() {
        let names = Names::for_workflow(Some("scope/create"));
        assert_eq!(names.alias_of("compose_modules"), Some("compose_tofu"));
        assert_eq!(names.alias_of("store_nrn_metadata"), Some("store_metadata"));
        assert_eq!(names.alias_of("setup_iam"), None);
        assert_eq!(
            names.explain("setup_iam").unwrap(),
            format!("`setup_iam` is part of `compose_tofu` here: {COMPOSE}")
        );
        assert_eq!(names.instead("setup_iam"), Some("compose_tofu"));
        assert_eq!(
            names.aliases_of(&["tofu"]),
            ["do_tofu (= tofu)".to_string()]
        );
        assert_eq!(Names::for_workflow(None).get("compose_modules"), None);
        assert_eq!(Names::for_workflow(Some("custom/x")).get("do_tofu"), None);
    }
}

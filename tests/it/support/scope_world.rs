//! What the scope workflow tests run against: stand-in OpenTofu modules built from the
//! real ones (the AWS provider cannot be downloaded here) and a moto account holding
//! the state bucket and the placeholder image a public Image scope needs.

use std::path::Path;

use serde_json::json;

use crate::common::{repo_root, MotoServer};

/// The modules compose-tofu selects from.
pub const MODULES: &[&str] = &[
    "provider/aws",
    "iam",
    "compute/lambda",
    "networking/api_gateway",
    "networking/alb",
    "dns/route53",
];

/// Stand-in modules: each real module's variables.tf as is (validations included), one
/// terraform_data recording every variable, and the real output names with stand-in values.
pub fn stand_in_modules(root: &Path) {
    for module in MODULES {
        let real = repo_root().join("tofu").join(module);
        let dir = root.join(module);
        std::fs::create_dir_all(&dir).unwrap();
        let variables_tf = std::fs::read_to_string(real.join("variables.tf")).unwrap();
        std::fs::write(dir.join("variables.tf"), &variables_tf).unwrap();
        let inputs: Vec<String> = hcl::parse(&variables_tf)
            .unwrap()
            .blocks()
            .filter(|b| b.identifier() == "variable")
            .map(|b| format!("{0} = var.{0}", b.labels()[0].as_str()))
            .collect();
        let mut main = format!(
            "resource \"terraform_data\" \"{}\" {{\n  input = {{ {} }}\n}}\n",
            module.replace('/', "_"),
            inputs.join(", ")
        );
        if *module == "provider/aws" {
            main.push_str("terraform {\n  backend \"s3\" {}\n}\n");
        }
        let outputs =
            hcl::parse(&std::fs::read_to_string(real.join("outputs.tf")).unwrap()).unwrap();
        for output in outputs.blocks().filter(|b| b.identifier() == "output") {
            let name = output.labels()[0].as_str();
            let value = match name {
                "lambda_function_arn" => {
                    r#""arn:aws:lambda:${var.aws_region}:123456789012:function:${var.function_name}""#
                        .to_string()
                }
                "lambda_current_version" => "\"1\"".to_string(),
                _ => format!("\"stand-in-{name}\""),
            };
            main.push_str(&format!(
                "output \"{name}\" {{\n  description = \"stand-in\"\n  value = {value}\n}}\n"
            ));
        }
        std::fs::write(dir.join("main.tf"), main).unwrap();
    }
}

/// The np stand-in's rules for a scope lifecycle run: the platform accepts the scope's
/// domain (`np scope patch`) and its NRN metadata (`np nrn patch`).
pub fn np_accepting_scope_patches() -> serde_json::Value {
    json!([
        {"args_prefix": ["scope", "patch"], "stdout": {}},
        {"args_prefix": ["nrn", "patch"], "stdout": {}}
    ])
}

/// The account a public Image scope is created in: the scope role (returned), the tofu
/// state bucket `acme-tofu-state` and the placeholder image `np-lambda-placeholder:v1`,
/// all in us-east-2.
pub fn public_image_account(moto: &MotoServer) -> String {
    let role = moto.create_role("np-lambda-scope");
    moto.aws(&[
        "s3api",
        "create-bucket",
        "--bucket",
        "acme-tofu-state",
        "--region",
        "us-east-2",
        "--create-bucket-configuration",
        "LocationConstraint=us-east-2",
    ]);
    moto.aws(&[
        "ecr",
        "create-repository",
        "--region",
        "us-east-2",
        "--repository-name",
        "np-lambda-placeholder",
    ]);
    moto.put_image("np-lambda-placeholder", "v1", &["--region", "us-east-2"]);
    role
}

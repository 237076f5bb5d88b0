use crate::domain::pipeline::{EnvironmentSpec, Pipeline};

fn build(files: &[(&str, &str)]) -> (Pipeline, Vec<String>) {
    let specs = files
        .iter()
        .map(|(f, text)| {
            let spec: EnvironmentSpec = crate::workspace::yaml::from_str(f, text).unwrap_or_else(|p| panic!("{p}"));
            (f.to_string(), spec)
        })
        .collect();
    let (p, problems) = Pipeline::build(specs);
    (p, problems.iter().map(|p| p.to_string()).collect())
}

const DEVELOP: (&str, &str) = (
    "environments/develop.yaml",
    "name: develop\nlabel: Ontwikkel\norder: 1\n",
);

#[test]
fn a_salesforce_deployment_is_read_with_its_steps_variables_and_secrets() {
    let test = r#"name: test
label: Test
order: 2
deploy:
  timeout: 30m
  validate:
    - run: [sf, project, deploy, validate, --source-dir, "{package_dir}", --target-org, "{var.org}", --json]
  steps:
    - name: deploy to the org
      run: [sf, project, deploy, start, --source-dir, "{package_dir}", --target-org, "{var.org}", --wait, 30]
      timeout: 20m
    - http: { url: "https://crm-test.example.org/hooks/deployed", method: POST, expect: [200, 204] }
  export:
    - run: [sf, project, retrieve, start, --output-dir, "{out_dir}", --target-org, "{var.org}"]
validate_before_promote: true
variables: { org: crm-test }
secrets: [CRM_TOKEN]
"#;
    let (p, problems) = build(&[DEVELOP, ("environments/test.yaml", test)]);
    assert!(problems.is_empty(), "{problems:#?}");
    let e = p.get("test").unwrap();
    let d = e.deploy.as_ref().unwrap();
    assert_eq!(d.timeout.as_secs(), 30 * 60);
    assert_eq!(d.steps.len(), 2);
    assert_eq!(d.steps[0].name, "deploy to the org");
    assert_eq!(d.steps[0].timeout.map(|t| t.as_secs()), Some(20 * 60));
    assert!(matches!(&d.steps[0].action, super::Action::Run(a) if a.last().unwrap() == "30"));
    assert!(matches!(&d.steps[1].action, super::Action::Http { expect, .. } if expect == &[200, 204]));
    assert_eq!(d.validate.len(), 1);
    assert_eq!(d.export.len(), 1);
    assert!(e.validate_before_promote);
    assert_eq!(e.variables["org"], "crm-test");
    assert_eq!(e.secrets, ["CRM_TOKEN"]);
    assert!(p.get("develop").unwrap().deploy.is_none());
}

#[test]
fn mistakes_are_named_with_file_and_line() {
    let test = r#"name: test
label: Test
order: 2
deploy:
  timeout: soon
  steps:
    - run: sf project deploy start --source-dir {package_dir}
    - run: [sf, deploy, "{package_folder}", "{var.orgg}", "{out_dir}"]
    - run: []
    - http: { url: "ftp://x" }
      run: [echo]
    - run: [echo]
      timeout: 5 parsecs
variables: { org: crm-test }
secrets: [crm-token]
"#;
    let (_, problems) = build(&[DEVELOP, ("environments/test.yaml", test)]);
    let all = problems.join("\n");
    for expected in [
        "environments/test.yaml:5:",
        "deploy timeout:",
        "environments/test.yaml:7:",
        "run is a shell line",
        "[sf, project, deploy, start, --source-dir, {package_dir}]",
        "unknown placeholder {package_folder}",
        "{var.orgg} names no variable of this environment; known: org",
        "{out_dir} is for export steps only",
        "run is empty",
        "either `run: [program, args...]` or `http:",
        "step timeout:",
        "secret name `crm-token` must be upper-case",
    ] {
        assert!(all.contains(expected), "missing `{expected}` in:\n{all}");
    }
}

#[test]
fn the_first_environment_deploys_nothing() {
    let develop = "name: develop\nlabel: Ontwikkel\norder: 1\ndeploy:\n  steps:\n    - run: [echo]\n";
    let (_, problems) = build(&[("environments/develop.yaml", develop)]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("environments/develop.yaml:5:") && problems[0].contains("first environment"));
}

#[test]
fn placeholders_are_filled_in_and_unknown_ones_refused() {
    let lookup = |n: &str| match n {
        "package_dir" => Some("/tmp/p".to_string()),
        "var.org" => Some("crm-test".to_string()),
        _ => None,
    };
    assert_eq!(super::expand("--dir={package_dir}", &lookup).unwrap(), "--dir=/tmp/p");
    assert_eq!(super::expand("{var.org}", &lookup).unwrap(), "crm-test");
    assert!(super::expand("{nope}", &lookup).is_err());
    assert!(super::placeholders("{open").is_err());
    assert!(super::placeholders("close}").is_err());
    assert_eq!(super::placeholders("a{x}b{y}").unwrap(), ["x", "y"]);
}

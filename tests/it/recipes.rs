//! The recipes in docs/recipes/ (issue 17): each environment file passes
//! `dtap check` as written, and each script does its job when dtap runs it
//! as a deploy step. No Salesforce org, Dataverse environment or CRM API can
//! run here: the HTTP recipe talks to a real HTTP server on loopback
//! standing in for the CRM's API (a Python program keeping components in a
//! folder), and the Salesforce and Power Platform scripts run in the modes
//! that need no org (the delete manifest, the deployment settings file).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::deploy::{crm, show};
use crate::rounds::{APEX, put};
use crate::support::{RM, TestWorkspace, code, ok, stdout, text};

fn recipe(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/recipes").join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(recipe(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The recipe's environment file with its scripts where this checkout has them.
fn installed(rel: &str) -> String {
    read(rel).replace(
        "/opt/dtap/recipes/",
        &format!("{}/", recipe(rel).parent().unwrap().display()),
    )
}

#[test]
fn every_recipe_passes_dtap_check_as_written() {
    for (file, env) in [
        ("salesforce/test.yaml", "test"),
        ("salesforce/production.yaml", "production"),
        ("power-platform/acceptance.yaml", "acceptance"),
        ("http/test.yaml", "test"),
    ] {
        let ws = TestWorkspace::init();
        ok(ws.dtap(&[
            "config",
            "set",
            "deploy.allowed_hosts",
            "servicedesk.example.org,crm-test.example.org",
        ]));
        ws.write(&format!("environments/{env}.yaml"), &read(file));
        let check = ws.dtap(&["check"]);
        assert_eq!(code(&check), Some(0), "{file}: {}", text(&check));
    }
}

/// The stand-in CRM API: PUT/DELETE /api/components/<package>/<path> into
/// a folder, POST /api/deployments appended to a log (each needs
/// `Authorization: Bearer <token>`), and an open GET /api/health.
const API: &str = r#"
import http.server, json, os, sys, urllib.parse
root, token = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def ok(self, code=204, body=b""):
        self.send_response(code); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def authorized(self):
        if self.headers.get("Authorization") != "Bearer " + token:
            self.ok(401, b"invalid token"); return False
        return True
    def target(self):
        rel = urllib.parse.unquote(self.path[len("/api/components/"):])
        path = os.path.normpath(os.path.join(root, "components", rel))
        assert path.startswith(os.path.join(root, "components"))
        return path
    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))
    def do_GET(self):  # the health check is open, as most are
        self.ok(200, b"ok")
    def do_PUT(self):
        if not self.authorized(): return
        p = self.target(); os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, "wb").write(self.body()); self.ok()
    def do_DELETE(self):
        if not self.authorized(): return
        os.remove(self.target()); self.ok()
    def do_POST(self):
        if not self.authorized(): return
        open(os.path.join(root, "deployments.log"), "a").write(self.body().decode() + "\n"); self.ok(201)
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_port, flush=True)
s.serve_forever()
"#;

struct Api {
    child: Child,
    port: u16,
    root: PathBuf,
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Api {
    fn start(root: &Path, token: &str) -> Api {
        std::fs::create_dir_all(root).unwrap();
        let mut child = Command::new("python3")
            .args(["-c", API, root.to_str().unwrap(), token])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Api {
            port: line.trim().parse().unwrap_or_else(|_| panic!("no port: {line:?}")),
            child,
            root: root.to_path_buf(),
        }
    }

    fn has(&self, rel: &str) -> bool {
        self.root.join("components").join(rel).exists()
    }

    fn deployments(&self) -> Vec<Value> {
        std::fs::read_to_string(self.root.join("deployments.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

#[tokio::test]
async fn the_http_recipe_sends_the_change_set_and_the_deletions_to_the_crm_api() {
    let c = crm();
    let api = Api::start(&c.dir.join("api"), "t0ken-for-test");
    let base = format!("http://127.0.0.1:{}/api", api.port);
    let env = installed("http/test.yaml")
        .replace("https://crm-test.example.org/api", &base)
        .replace("release-team@example.org", "cm@example.org");
    c.ws.write("environments/test.yaml", &env);
    ok(c.ws.dtap(&["config", "set", "deploy.allowed_hosts", "127.0.0.1"]));
    assert_eq!(code(&c.ws.dtap(&["check"])), Some(0));
    let promote = |args: &[&str], token: &str| {
        let mut all = vec!["promote", APEX, "--to", "test"];
        all.extend_from_slice(args);
        c.ws.dtap_env(&all, &[("DTAP_USER", RM), ("DTAP_SECRET_CRM_TOKEN", token)])
    };

    // A wrong token: the API's refusal is the deployment's failure, with its answer.
    let out = promote(&[], "expired-token");
    assert_eq!(code(&out), Some(4), "{}", text(&out));
    let log = stdout(&ok(c.ws.dtap(&["deploy", "log", "1"])));
    assert!(log.contains("HTTP 401"), "{log}");
    assert!(!api.has("ebikes-apex/classes/ProductController.cls"));

    let retried = c.ws.dtap_env(
        &["deploy", "retry", "1"],
        &[("DTAP_USER", RM), ("DTAP_SECRET_CRM_TOKEN", "t0ken-for-test")],
    );
    assert_eq!(
        code(&retried),
        Some(0),
        "{}\n{}",
        text(&retried),
        stdout(&c.ws.dtap(&["deploy", "log", "2"]))
    );
    assert!(api.has("ebikes-apex/classes/ProductController.cls"));
    assert!(api.has("ebikes-apex/classes/TestProductController.cls"));
    assert_eq!(api.deployments()[0]["version"], "1.0.0");
    assert_eq!(api.deployments()[0]["rfcs"], serde_json::json!([c.rfc]));

    // Version 1.0.1 drops the test class: the API is told to delete it, once confirmed.
    put(&c.ws, APEX, "1.0.1", &[&c.rfc], "without the test class");
    c.ws.remove_paths(
        "Drop TestProductController",
        &[
            "develop/ebikes-apex/classes/TestProductController.cls",
            "develop/ebikes-apex/classes/TestProductController.cls-meta.xml",
        ],
    );
    assert_eq!(
        code(&promote(&[], "t0ken-for-test")),
        Some(3),
        "confirm_deletions: true"
    );
    let out = promote(&["--confirm-deletions"], "t0ken-for-test");
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(!api.has("ebikes-apex/classes/TestProductController.cls"));
    assert!(!api.has("ebikes-apex/classes/TestProductController.cls-meta.xml"));
    assert!(api.has("ebikes-apex/classes/ProductController.cls"));
    assert_eq!(api.deployments().len(), 2);
    assert_eq!(api.deployments()[1]["version"], "1.0.1");
    let log = stdout(&ok(c.ws.dtap(&["deploy", "log", "3"])));
    assert!(log.contains("deleted classes/TestProductController.cls"), "{log}");
    assert_eq!(show(&c.ws, 3)["steps"][1]["name"], "health check");
    assert!(!log.contains("t0ken-for-test"));
}

#[tokio::test]
async fn the_salesforce_recipe_turns_deleted_files_into_a_delete_manifest() {
    let c = crm();
    let script = recipe("salesforce/dtap-sf.py");
    c.deploy_test(
        &format!(
            "    - name: delete manifest\n      run: [python3, \"{}\", destructive]\n",
            script.display()
        ),
        "",
    );
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test"]));
    put(&c.ws, APEX, "1.0.1", &[&c.rfc], "without the test class");
    c.ws.remove_paths(
        "Drop TestProductController",
        &[
            "develop/ebikes-apex/classes/TestProductController.cls",
            "develop/ebikes-apex/classes/TestProductController.cls-meta.xml",
        ],
    );
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test"]));
    let manifest = stdout(&ok(c.ws.dtap(&["deploy", "log", "2"])));
    assert!(
        manifest.contains(
            "    <types>\n        <members>TestProductController</members>\n        <name>ApexClass</name>\n    </types>"
        ),
        "{manifest}"
    );
    assert!(
        !manifest.contains("<members>ProductController</members>"),
        "only what was removed: {manifest}"
    );
    // A real XML parser reads it (and xmllint, where installed).
    let xml: String = manifest
        .lines()
        .skip_while(|l| !l.starts_with("<?xml"))
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let file = c.dir.join("destructiveChanges.xml");
    std::fs::write(&file, &xml).unwrap();
    let parsed = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); print(d.documentElement.namespaceURI)",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout).trim(),
        "http://soap.sforce.com/2006/04/metadata",
        "{xml}"
    );
    if let Ok(out) = Command::new("xmllint").arg("--noout").arg(&file).output() {
        assert!(
            out.status.success(),
            "xmllint: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn the_power_platform_recipe_writes_the_deployment_settings_from_the_variables() {
    let c = crm();
    let script = recipe("power-platform/dtap-pac.py");
    c.deploy_test(
        &format!(
            "    - name: settings\n      run: [python3, \"{}\", settings]\n",
            script.display()
        ),
        "",
    );
    // The recipe's variables, as acceptance.yaml writes them, in test's file.
    let env = c.ws.read("environments/test.yaml").replace(
        "variables: { org: crm-test }",
        "variables:\n  org: crm-test\n  ev_contoso_ApiBaseUrl: https://api-test.contoso.example\n  cr_contoso_sharedcommondataserviceforapps: \"4445162937b84457a3465d2f0c2cab7e /providers/Microsoft.PowerApps/apis/shared_commondataserviceforapps\"",
    );
    c.ws.write("environments/test.yaml", &env);
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test"]));
    let log = stdout(&ok(c.ws.dtap(&["deploy", "log", "1"])));
    let json: String = log
        .lines()
        .skip_while(|l| !l.starts_with('{'))
        .map(|l| format!("{l}\n"))
        .collect();
    let settings: Value = serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("{e}: {log}"));
    assert_eq!(
        settings,
        serde_json::json!({
            "EnvironmentVariables": [{ "SchemaName": "contoso_ApiBaseUrl", "Value": "https://api-test.contoso.example" }],
            "ConnectionReferences": [{
                "LogicalName": "contoso_sharedcommondataserviceforapps",
                "ConnectionId": "4445162937b84457a3465d2f0c2cab7e",
                "ConnectorId": "/providers/Microsoft.PowerApps/apis/shared_commondataserviceforapps",
            }],
        })
    );
}

/// A stand-in for `pac` and the Dataverse environment behind it (neither can
/// run here): "solutions" are JSON files of their files; `import` writes a
/// solution's files into `<org>/<unique name>/` with the settings file
/// beside it, `export` reads them back. (The org's folder is written into
/// the program: a step's environment is clean, so no variable reaches it.)
const FAKE_PAC: &str = r#"#!/usr/bin/env python3
import json, os, re, shutil, sys
org, a = "ORG_FOLDER", sys.argv[1:]
opt = lambda name: a[a.index(name) + 1]
def read_tree(folder):
    out = {}
    for root, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, folder)] = open(p).read()
    return out
def write_tree(files, folder):
    for rel, body in files.items():
        p = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, "w").write(body)
if a[:2] == ["auth", "create"]:
    sys.exit(0 if opt("--clientSecret") == "app-secret-for-test" else 1)
if a[:2] == ["solution", "pack"]:
    json.dump(read_tree(opt("--folder")), open(opt("--zipfile"), "w")); sys.exit(0)
if a[:2] == ["solution", "import"]:
    files = json.load(open(opt("--path")))
    assert "package.yaml" not in files, "dtap's manifest reached the solution"
    name = re.search(r"<UniqueName>(.*?)</UniqueName>", files["Other/Solution.xml"]).group(1)
    shutil.rmtree(os.path.join(org, name), ignore_errors=True)
    write_tree(files, os.path.join(org, name))
    shutil.copy(opt("--settings-file"), os.path.join(org, name + ".settings.json"))
    print("imported", name, "as an upgrade" if "--stage-and-upgrade" in a else "as an update"); sys.exit(0)
if a[:2] == ["solution", "export"]:
    json.dump(read_tree(os.path.join(org, opt("--name"))), open(opt("--path"), "w")); sys.exit(0)
if a[:2] == ["solution", "unpack"]:
    write_tree(json.load(open(opt("--zipfile"))), opt("--folder")); sys.exit(0)
print("fake pac: not understood:", a, file=sys.stderr); sys.exit(2)
"#;

#[tokio::test]
async fn the_power_platform_recipe_imports_with_its_settings_and_finds_live_drift() {
    let c = crm();
    let (bin, org) = (c.dir.join("bin"), c.dir.join("dataverse"));
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&org).unwrap();
    std::fs::write(bin.join("pac"), FAKE_PAC.replace("ORG_FOLDER", org.to_str().unwrap())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("pac"), std::fs::Permissions::from_mode(0o755)).unwrap();
    // The recipe's acceptance file, as test.
    let env = installed("power-platform/acceptance.yaml")
        .replace("name: acceptance", "name: test")
        .replace("label: Acceptatie", "label: Test")
        .replace("order: 3", "order: 2")
        .replace("path: acceptance", "path: test")
        .replace("gates:\n  - signoff: test", "gates: []")
        .replace("release-team@example.org", "cm@example.org");
    c.ws.write("environments/test.yaml", &env);
    let check = c.ws.dtap(&["check"]);
    assert_eq!(code(&check), Some(0), "{}", text(&check));
    // An unpacked solution as the package.
    let solution = "<ImportExportXml><SolutionManifest><UniqueName>contoso_core</UniqueName><Version>1.0.0.0</Version></SolutionManifest></ImportExportXml>\n";
    c.ws.commit_files(
        "contoso-core 1.0.0",
        &[
            (
                "develop/contoso-core/package.yaml",
                &crate::support::manifest("contoso-core", "1.0.0", &[&c.rfc]),
            ),
            ("develop/contoso-core/Other/Solution.xml", solution),
            (
                "develop/contoso-core/Entities/contact/Entity.xml",
                "<Entity><Name>contact</Name></Entity>\n",
            ),
        ],
    );
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let vars = [
        ("DTAP_USER", RM),
        ("PATH", path.as_str()),
        ("DTAP_SECRET_PAC_CLIENT_SECRET", "app-secret-for-test"),
    ];
    let out = c.ws.dtap_env(&["promote", "contoso-core", "--to", "test"], &vars);
    assert_eq!(
        code(&out),
        Some(0),
        "{}\n{}",
        text(&out),
        stdout(&c.ws.dtap(&["deploy", "log", "1"]))
    );
    assert!(org.join("contoso_core/Entities/contact/Entity.xml").exists());
    let settings: Value =
        serde_json::from_str(&std::fs::read_to_string(org.join("contoso_core.settings.json")).unwrap()).unwrap();
    assert_eq!(settings["EnvironmentVariables"][0]["SchemaName"], "contoso_ApiBaseUrl");
    let log = stdout(&ok(c.ws.dtap(&["deploy", "log", "1"])));
    assert!(log.contains("imported contoso_core as an update"), "{log}");
    assert!(!log.contains("app-secret-for-test"), "{log}");

    // Customised by hand in the maker portal: the export finds it.
    let drift = || c.ws.dtap_env(&["drift", "check", "--live", "test", "--json"], &vars);
    let same = drift();
    assert_eq!(code(&same), Some(0), "{}", text(&same));
    std::fs::write(
        org.join("contoso_core/Entities/contact/Entity.xml"),
        "<Entity><Name>contact</Name><Field>new_loyaltytier</Field></Entity>\n",
    )
    .unwrap();
    let differs = drift();
    assert_eq!(code(&differs), Some(3), "{}", text(&differs));
    let v: Value = serde_json::from_slice(&differs.stdout).unwrap();
    assert_eq!(
        v["packages"][0]["changed"],
        serde_json::json!(["Entities/contact/Entity.xml"]),
        "{v:#}"
    );
}

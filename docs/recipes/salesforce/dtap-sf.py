#!/usr/bin/env python3
"""dtap deploy step for Salesforce (docs/recipes/README.md, "Salesforce").

Usage: dtap-sf.py deploy|validate|destructive|export --org ALIAS [--test-level LEVEL]

Reads what dtap gives every step (DTAP_PACKAGE_DIR, DTAP_CHANGES), makes a
Salesforce DX project of the package in the current (empty) folder, builds
package.xml with `sf project generate manifest` and, when the promotion
removes files, destructiveChanges.xml from DTAP_CHANGES' "deleted" paths,
then runs `sf project deploy start` (or `validate`) with both manifests.
`destructive` only prints the delete manifest (to check it by hand).
`export` (an `export:` step, for `dtap drift check --live`) retrieves, per
package in DTAP_ENV_DIR, exactly the components git says it holds, into
DTAP_OUT_DIR/<package>, laid out as the package folder.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from xml.sax.saxutils import escape

API_VERSION = os.environ.get("DTAP_VAR_API_VERSION", "62.0")

# Folder in a source-format project -> (metadata type, how the member is named).
FOLDERS = {
    "classes": "ApexClass",
    "triggers": "ApexTrigger",
    "pages": "ApexPage",
    "components": "ApexComponent",
    "lwc": "LightningComponentBundle",
    "aura": "AuraDefinitionBundle",
    "flows": "Flow",
    "layouts": "Layout",
    "permissionsets": "PermissionSet",
    "profiles": "Profile",
    "tabs": "CustomTab",
    "applications": "CustomApplication",
    "flexipages": "FlexiPage",
    "staticresources": "StaticResource",
    "messageChannels": "LightningMessageChannel",
    "customMetadata": "CustomMetadata",
    "labels": "CustomLabels",
}
# Parts of an object, in objects/<Object>/<folder>/<Name>.<suffix>-meta.xml.
OBJECT_PARTS = {
    "fields": "CustomField",
    "recordTypes": "RecordType",
    "validationRules": "ValidationRule",
    "listViews": "ListView",
    "webLinks": "WebLink",
    "fieldSets": "FieldSet",
    "compactLayouts": "CompactLayout",
    "businessProcesses": "BusinessProcess",
}
BUNDLES = {"lwc", "aura"}


def member(path):
    """The (type, member) a deleted file stood for, or None (e.g. package.yaml)."""
    parts = path.split("/")
    if len(parts) < 2:
        return None
    top = parts[0]
    if top == "objects" and len(parts) >= 3:
        obj = parts[1]
        if len(parts) == 3 and parts[2] == f"{obj}.object-meta.xml":
            return ("CustomObject", obj)
        if len(parts) == 4 and parts[2] in OBJECT_PARTS:
            name = parts[3].split(".")[0]
            return (OBJECT_PARTS[parts[2]], f"{obj}.{name}")
        return None
    kind = FOLDERS.get(top)
    if kind is None:
        return None
    if top in BUNDLES:
        return (kind, parts[1])
    name = parts[1]
    for suffix in ("-meta.xml",):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return (kind, name.split(".")[0])


def manifest(members):
    by_type = {}
    for kind, name in members:
        by_type.setdefault(kind, set()).add(name)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<Package xmlns="http://soap.sforce.com/2006/04/metadata">']
    for kind in sorted(by_type):
        lines.append("    <types>")
        for name in sorted(by_type[kind]):
            lines.append(f"        <members>{escape(name)}</members>")
        lines.append(f"        <name>{escape(kind)}</name>")
        lines.append("    </types>")
    lines.append(f"    <version>{API_VERSION}</version>")
    lines.append("</Package>")
    return "\n".join(lines) + "\n"


def deleted_members():
    with open(os.environ["DTAP_CHANGES"], encoding="utf-8") as f:
        changes = json.load(f)
    # A bundle or object removed only in part is an update, not a deletion.
    remaining = set()
    for root, _, files in os.walk(os.environ["DTAP_PACKAGE_DIR"]):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), os.environ["DTAP_PACKAGE_DIR"])
            m = member(rel)
            if m:
                remaining.add(m)
    out = []
    for path in changes.get("deleted", []):
        m = member(path)
        if m and m not in remaining and m not in out:
            out.append(m)
    return out


def sf(args, cwd=None):
    print("+ sf " + " ".join(args), flush=True)
    return subprocess.call(["sf", *args], cwd=cwd)


def project_of(package_dir, work):
    """A Salesforce DX project in `work` holding the package's files."""
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "sfdx-project.json"), "w", encoding="utf-8") as f:
        json.dump({"packageDirectories": [{"path": "force-app", "default": True}],
                   "sourceApiVersion": API_VERSION}, f)
    target = os.path.join(work, "force-app/main/default")
    shutil.copytree(package_dir, target, ignore=shutil.ignore_patterns("package.yaml"))
    for root, dirs, files in os.walk(os.path.join(work, "force-app")):  # dtap writes read-only
        for n in dirs:
            os.chmod(os.path.join(root, n), 0o755)
        for n in files:
            os.chmod(os.path.join(root, n), 0o644)
    return sf(["project", "generate", "manifest", "--source-dir", "force-app", "--name", "package.xml",
               "--output-dir", "."], cwd=work)


def export(org):
    out, env_dir = os.environ["DTAP_OUT_DIR"], os.environ["DTAP_ENV_DIR"]
    for package in sorted(os.listdir(env_dir)):
        work = os.path.abspath(f"export-{package}")
        if project_of(os.path.join(env_dir, package), work) != 0:
            return 1
        retrieved = os.path.join(work, "retrieved")
        if sf(["project", "retrieve", "start", "--manifest", "package.xml", "--target-org", org,
               "--output-dir", retrieved, "--wait", "30"], cwd=work) != 0:
            return 1
        # Laid out as the package folder: classes/, lwc/, objects/ at its top.
        top = retrieved
        for sub in ("force-app", "main", "default"):
            if os.path.isdir(os.path.join(top, sub)):
                top = os.path.join(top, sub)
        shutil.copytree(top, os.path.join(out, package))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["deploy", "validate", "destructive", "export"])
    p.add_argument("--org", required=False)
    p.add_argument("--test-level", default="NoTestRun")
    a = p.parse_args()
    if a.mode == "export":
        if not a.org:
            p.error("--org is needed to export")
        return export(a.org)
    removed = deleted_members()
    if a.mode == "destructive":
        sys.stdout.write(manifest(removed))
        return 0
    if not a.org:
        p.error("--org is needed to deploy or validate")
    if project_of(os.environ["DTAP_PACKAGE_DIR"], ".") != 0:
        return 1
    args = ["project", "deploy", "start" if a.mode == "deploy" else "validate",
            "--manifest", "package.xml", "--target-org", a.org, "--wait", "60",
            "--test-level", a.test_level, "--json"]
    if removed:
        with open("destructiveChanges.xml", "w", encoding="utf-8") as f:
            f.write(manifest(removed))
        print(f"removes {len(removed)} component(s): "
              + ", ".join(f"{k} {n}" for k, n in removed), flush=True)
        args += ["--post-destructive-changes", "destructiveChanges.xml"]
    return sf(args)


if __name__ == "__main__":
    sys.exit(main())

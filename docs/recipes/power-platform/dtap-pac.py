#!/usr/bin/env python3
"""dtap deploy step for Power Platform / Dynamics 365 (docs/recipes/README.md, "Power Platform").

Usage: dtap-pac.py settings|deploy|validate|export --environment URL [--managed]

The package folder is an unpacked solution (`pac solution unpack` output).
`deploy` packs it with `pac solution pack`, writes a deployment settings file
from the environment's variables (DTAP_SETTINGS_FILE) and imports it with
`pac solution import --settings-file`. When the promotion deletes files, the
import is an upgrade (`--stage-and-upgrade`): an update never removes
components from Dataverse, an upgrade removes what the new version lacks.
`validate` checks the packed solution with `pac solution check` instead.
`settings` only prints the deployment settings file. `export` (an `export:`
step, for `dtap drift check --live`) exports each solution the environment
holds in git (DTAP_ENV_DIR; its unique name read from Other/Solution.xml)
and unpacks it into DTAP_OUT_DIR/<package>, laid out as the package folder.

With variables app_id and tenant and the secret PAC_CLIENT_SECRET, it first
signs in as that app registration (`pac auth create`). pac takes the secret
as an argument: it is visible in the host's process list while pac starts,
so run deployments on a host only the release team uses. dtap masks it in
every captured output.

Variables become settings by their prefix:
  ev_<schema name>: "value"                      -> EnvironmentVariables
  cr_<logical name>: "<connection id> <connector id>" -> ConnectionReferences
"""
import argparse
import json
import os
import shutil
import subprocess
import sys


def deployment_settings():
    with open(os.environ["DTAP_SETTINGS_FILE"], encoding="utf-8") as f:
        variables = json.load(f)
    env_vars, conn_refs = [], []
    for name, value in sorted(variables.items()):
        if name.startswith("ev_"):
            env_vars.append({"SchemaName": name[3:], "Value": value})
        elif name.startswith("cr_"):
            connection, _, connector = value.partition(" ")
            conn_refs.append({"LogicalName": name[3:], "ConnectionId": connection,
                              "ConnectorId": connector.strip()})
    return {"EnvironmentVariables": env_vars, "ConnectionReferences": conn_refs}


def deletes_anything():
    with open(os.environ["DTAP_CHANGES"], encoding="utf-8") as f:
        deleted = json.load(f).get("deleted", [])
    return [p for p in deleted if p != "package.yaml"]


def unique_name(package_dir):
    """The solution's unique name, from the unpacked solution's Other/Solution.xml."""
    import xml.etree.ElementTree as ET
    root = ET.parse(os.path.join(package_dir, "Other", "Solution.xml")).getroot()
    name = root.findtext("./SolutionManifest/UniqueName")
    if not name:
        raise SystemExit(f"{package_dir}/Other/Solution.xml names no UniqueName: is this an unpacked solution?")
    return name


def export(environment, managed):
    out, env_dir = os.environ["DTAP_OUT_DIR"], os.environ["DTAP_ENV_DIR"]
    kind = "Managed" if managed else "Unmanaged"
    for package in sorted(os.listdir(env_dir)):
        name = unique_name(os.path.join(env_dir, package))
        zip_path = os.path.abspath(f"{package}.zip")
        args = ["solution", "export", "--name", name, "--path", zip_path, "--environment", environment,
                "--overwrite"]
        if managed:
            args.append("--managed")
        if pac(args) != 0:
            return 1
        if pac(["solution", "unpack", "--zipfile", zip_path, "--folder", os.path.join(out, package),
                "--packagetype", kind]) != 0:
            return 1
    return 0


def pac(args):
    print("+ pac " + " ".join(args), flush=True)
    return subprocess.call(["pac", *args])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["settings", "deploy", "validate", "export"])
    p.add_argument("--environment")
    p.add_argument("--managed", action="store_true")
    a = p.parse_args()
    settings = deployment_settings()
    if a.mode == "settings":
        json.dump(settings, sys.stdout, indent=2)
        print()
        return 0
    if not a.environment:
        p.error("--environment URL is needed to deploy or validate")
    app_id, tenant = os.environ.get("DTAP_VAR_APP_ID"), os.environ.get("DTAP_VAR_TENANT")
    if app_id and tenant:
        secret = os.environ.get("PAC_CLIENT_SECRET")
        if not secret:
            print("the secret PAC_CLIENT_SECRET is not set: list it under `secrets:`", file=sys.stderr)
            return 1
        print("+ pac auth create --environment ... --applicationId ... --tenant ... --clientSecret ***", flush=True)
        if subprocess.call(["pac", "auth", "create", "--environment", a.environment, "--applicationId",
                            app_id, "--tenant", tenant, "--clientSecret", secret]) != 0:
            return 1
    if a.mode == "export":
        return export(a.environment, a.managed)
    kind = "Managed" if a.managed else "Unmanaged"
    zip_path = os.path.abspath(f"{os.environ['DTAP_PACKAGE']}.zip")
    # The solution without dtap's manifest, which is no solution component.
    shutil.copytree(os.environ["DTAP_PACKAGE_DIR"], "solution", ignore=shutil.ignore_patterns("package.yaml"))
    if pac(["solution", "pack", "--zipfile", zip_path, "--folder", "solution", "--packagetype", kind]) != 0:
        return 1
    if a.mode == "validate":  # the checker needs no environment sign-in beyond the above
        return pac(["solution", "check", "--path", zip_path, "--outputDirectory", "check"])
    with open("deploymentSettings.json", "w", encoding="utf-8") as f:
        json.dump(settings, f, indent=2)
    args = ["solution", "import", "--path", zip_path, "--environment", a.environment,
            "--settings-file", "deploymentSettings.json", "--activate-plugins", "--async",
            "--max-async-wait-time", "60"]
    removed = deletes_anything()
    if removed:
        print(f"removes {len(removed)} file(s): importing as an upgrade", flush=True)
        args.append("--stage-and-upgrade")
    return pac(args)


if __name__ == "__main__":
    sys.exit(main())

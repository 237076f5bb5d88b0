#!/usr/bin/env python3
"""dtap deploy step for a CRM with an HTTP API (docs/recipes/README.md, "A CRM with an HTTP API").

Usage: dtap-http.py --base URL

Sends the promotion's change set (DTAP_CHANGES) to a components API:
  PUT    {base}/components/{package}/{path}   body: the file, for added and modified files
  DELETE {base}/components/{package}/{path}   for deleted files
  POST   {base}/deployments                   {"package", "version", "commit", "rfcs"} when done
with `Authorization: Bearer $CRM_TOKEN` (list CRM_TOKEN under `secrets:`).
Any answer other than 2xx stops the step with the status and the body; the
token is never printed (dtap masks it anyway).
"""
import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def call(method, url, body=None, kind="application/octet-stream"):
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("Authorization", "Bearer " + os.environ["CRM_TOKEN"])
    if body is not None:
        req.add_header("Content-Type", kind)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as e:
        detail = e.read().decode("utf-8", "replace")[:2000]
        raise SystemExit(f"{method} {url}: HTTP {e.code} {e.reason}\n{detail}")
    except urllib.error.URLError as e:
        raise SystemExit(f"{method} {url}: {e.reason}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    a = p.parse_args()
    if "CRM_TOKEN" not in os.environ:
        print("the secret CRM_TOKEN is not set: list it under `secrets:`", file=sys.stderr)
        return 1
    base = a.base.rstrip("/")
    package = os.environ["DTAP_PACKAGE"]
    with open(os.environ["DTAP_CHANGES"], encoding="utf-8") as f:
        changes = json.load(f)
    quote = lambda path: urllib.parse.quote(f"{package}/{path}")
    for path in changes.get("added", []) + changes.get("modified", []):
        with open(os.path.join(os.environ["DTAP_PACKAGE_DIR"], path), "rb") as f:
            call("PUT", f"{base}/components/{quote(path)}", f.read())
        print(f"put {path}")
    for path in changes.get("deleted", []):
        call("DELETE", f"{base}/components/{quote(path)}")
        print(f"deleted {path}")
    done = {"package": package, "version": os.environ.get("DTAP_VERSION", ""),
            "commit": os.environ.get("DTAP_COMMIT", ""),
            "rfcs": [r for r in os.environ.get("DTAP_RFCS", "").split(",") if r]}
    call("POST", f"{base}/deployments", json.dumps(done).encode(), "application/json")
    n = len(changes.get("added", [])) + len(changes.get("modified", [])) + len(changes.get("deleted", []))
    print(f"{package} {done['version']}: {n} change(s) sent")
    return 0


if __name__ == "__main__":
    sys.exit(main())

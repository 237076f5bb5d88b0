#!/usr/bin/env python3
"""Generates a config repo for benchmark P1/P3 with git fast-import.

Usage: gen-config-repo.py BARE_REPO COMMITS [PACKAGES] [FILES]
The first commit (a dtap init, with trailers) holds 4 environments x PACKAGES
packages x FILES files; develop holds version 1.1.0 of every package, the
other environments 1.0.0. Every further commit changes one file in develop,
as CRM developers do."""
import subprocess
import sys

repo, commits = sys.argv[1], int(sys.argv[2])
packages = int(sys.argv[3]) if len(sys.argv) > 3 else 200
files = int(sys.argv[4]) if len(sys.argv) > 4 else 25
envs = ["develop", "test", "acceptance", "production"]

subprocess.run(["git", "init", "-q", "--bare", "-b", "main", repo], check=True)
fi = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet"], stdin=subprocess.PIPE)
out = fi.stdin
mark = 0
blobs = {}


def blob(data: bytes) -> int:
    global mark
    if data in blobs:
        return blobs[data]
    mark += 1
    out.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n")
    blobs[data] = mark
    return mark


def commit(message: str, changes, when: int):
    msg = message.encode()
    out.write(b"commit refs/heads/main\n")
    out.write(b"author Bench <bench@example.org> %d +0000\n" % when)
    out.write(b"committer Bench <bench@example.org> %d +0000\n" % when)
    out.write(b"data %d\n" % len(msg) + msg + b"\n")
    for path, m in changes:
        out.write(b"M 100644 :%d %s\n" % (m, path.encode()))
    out.write(b"\n")


t0 = 1_700_000_000
first = []
for env in envs:
    version = "1.1.0" if env == "develop" else "1.0.0"
    for p in range(packages):
        name = f"pkg-{p:03d}"
        first.append((f"{env}/{name}/package.yaml", blob(f"name: {name}\nversion: {version}\nrfcs: []\n".encode())))
        for f in range(files - 1):
            first.append((f"{env}/{name}/entities/file-{f:02d}.xml", blob(f"<entity n=\"{f}\" v=\"{version}\"/>\n".encode())))
commit("Initialize the config repo\n\nDtap-Action: init\nDtap-By: bench@example.org\n", first, t0)
for i in range(1, commits):
    p = i % packages
    name = f"pkg-{p:03d}"
    data = f"<entity n=\"0\" v=\"1.1.0\" rev=\"{i}\"/>\n".encode()
    mark += 1
    out.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n")
    commit(f"Change {name} ({i})\n", [(f"develop/{name}/entities/file-00.xml", mark)], t0 + i)
out.close()
sys.exit(fi.wait())

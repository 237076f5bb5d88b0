#!/usr/bin/env python3
"""Seeds a dtap SQLite database with N realistic RFCs for benchmarks.

Writes the same rows the app writes (rfcs, rfc_events, rfc_search) in bulk;
only for benchmarks, never for real workspaces."""
import json
import random
import sqlite3
import sys

db, n = sys.argv[1], int(sys.argv[2])
random.seed(42)
words = ("sales dashboard contact account lead opportunity report button week month quarter region "
         "team case service contract invoice birthday initials phone workflow escalation approval "
         "marketing campaign mail forecast pipeline churn renewal discount product order").split()
states = ["draft", "submitted", "approved", "in_development", "in_test", "in_acceptance",
          "accepted", "released", "closed", "rejected", "withdrawn", "on_hold"]
templates = ["report", "data-model", "workflow", "authorization"]
departments = ["Sales", "Service", "Marketing", "Finance", "HR"]
users = [f"user{i}@example.org" for i in range(200)]

con = sqlite3.connect(db)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA synchronous=OFF")
rows, events, search = [], [], []
for i in range(1, n + 1):
    title = " ".join(random.choice(words) for _ in range(5)).capitalize()
    fields = {"what_to_see": " ".join(random.choice(words) for _ in range(20)),
              "why_needed": " ".join(random.choice(words) for _ in range(15)),
              "priority": random.choice(["must", "should", "could"]), "risk": random.choice(["low", "medium", "high"])}
    at = f"2026-{random.randint(1, 11):02d}-{random.randint(1, 28):02d}T10:00:00Z"
    requester = random.choice(users)
    dept = random.choice(departments)
    rows.append((i, random.choice(templates), title, requester, dept, random.choice(states),
                 fields["priority"], fields["risk"], json.dumps(fields), at, at))
    events.append((i, at, requester, "created", None, "draft", ""))
    search.append((i, title, "\n".join(str(v) for v in fields.values()) + "\n" + requester + "\n" + dept))
con.executemany("INSERT INTO rfcs (id, template, title, requester, department, state, priority, risk, fields, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
con.executemany("INSERT INTO rfc_events (rfc_id, at, actor, kind, from_state, to_state, detail) VALUES (?,?,?,?,?,?,?)", events)
con.executemany("INSERT INTO rfc_search (rowid, title, body) VALUES (?,?,?)", search)
con.commit()
con.execute("ANALYZE")
con.close()
print(f"seeded {n} RFCs into {db}")

"""What the demo site prints once it runs: the project, the login to use, the gate-sync URL, a line to paste."""

from __future__ import annotations

import json

from realname_launcher.demo_site.parties import Parties

KINDS = "native, hikvision-isapi, zkteco-push"


def lines(base: str, parties: Parties, workers: int) -> list[str]:
    login = json.dumps({"username": parties.pm_login, "password": parties.pm_password})
    sync = f"{base}/api/v1/attendance/projects/{parties.project_id}/gate-sync"
    return [
        f"demo site: project {parties.project_id} (演示项目：张江人才公寓), {workers} workers admitted, one gate of "
        f"each kind ({KINDS}) behind one site bridge",
        f"demo site login (its project account): POST {base}/api/v1/auth/login/password {login}",
        f"demo site gate-sync: GET {sync}",
        "demo site, to paste:",
        f"  TOKEN=$(curl -s -H 'Content-Type: application/json' -d '{login}' {base}/api/v1/auth/login/password "
        "| jq -r .access_token)",
        f'  curl -s -H "Authorization: Bearer $TOKEN" {sync} | jq .gates',
    ]

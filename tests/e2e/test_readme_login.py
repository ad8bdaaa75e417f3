"""The README's certificate login, run as written against ``./realname up``: the document cannot drift from the code."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.support.launched import Launched

ROOT = Path(__file__).resolve().parents[2]
GATEWAY_AS_WRITTEN = "http://127.0.0.1:8000"


def readme_commands(name: str) -> str:
    """The shell block between ``<!-- name -->`` and ``<!-- /name -->`` in README.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- {name} -->\s*```sh\n(.*?)```\s*<!-- /{name} -->", readme, re.DOTALL)
    assert found, f"README.md has no ```sh block marked <!-- {name} -->"
    return found.group(1)


def test_the_readmes_certificate_login_logs_a_new_enterprise_in(all_in_one: Launched, tmp_path: Path) -> None:
    commands = readme_commands("login-commands")
    assert GATEWAY_AS_WRITTEN in commands and "./realname " in commands
    # Only where the platform is: this run's gateway port, and the launcher by its path (the commands run in
    # a folder whose var/ is this run's data dir, as the README's run in the checkout).
    script = commands.replace(GATEWAY_AS_WRITTEN, all_in_one.url).replace("./realname ", f"{ROOT / 'realname'} ")
    all_in_one.wait_ready()

    ran = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=all_in_one.env,
                         capture_output=True, text=True, timeout=180, check=False)

    assert ran.returncode == 0, f"{ran.stdout[-2000:]}\n{ran.stderr[-3000:]}"
    me = json.loads(ran.stdout.strip().splitlines()[-1])
    assert me["enterprise_id"] and me["kind"] == "enterprise", me

"""The doctors' common report: each finding with a stable reason code and advice in English and Chinese, printed
for people (marked lines) or for machines (JSON). Used by ``realname-edge doctor`` and ``realname-edge gates doctor``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class CheckResult:
    check: str
    ok: bool
    reason: str
    message: str
    message_zh: str
    detail: str = ""
    required: bool = True  # run cannot work while this fails

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ready_to_run(results: Sequence[CheckResult]) -> bool:
    return all(result.ok or not result.required for result in results)


def render_text(results: Sequence[CheckResult], *, title: str, command: str) -> str:
    lines = [title]
    for result in results:
        mark = "[ OK ]" if result.ok else "[FAIL]" if result.required else "[ -- ]"
        lines.append(f"{mark} {result.check} ({result.reason}): {result.message}")
        lines.append(f"       {result.message_zh}")
        if result.detail:
            lines.append(f"       {result.detail}")
    if ready_to_run(results):
        lines.append(f"Ready: `{command}` can start. 检查通过，可以运行 {command}。")
    else:
        lines.append("Not ready: fix what is marked FAIL. 尚未就绪：请处理标记为 FAIL 的项目。")
    return "\n".join(lines)


def render_json(results: Sequence[CheckResult]) -> str:
    return json.dumps({"ready": ready_to_run(results), "checks": [result.as_dict() for result in results]},
                      indent=2)

"""The kit is plumbing: the services declare their queues and settings, the kit only assembles them."""

from __future__ import annotations

import re
from pathlib import Path

import realname_kit.bus.topology as topology_module
import realname_kit.settings as settings_module
from realname_kit.bus.topology import declared_queues, publishers
from realname_kit.service import PLATFORM, platform_specs
from realname_kit.settings import SERVICES, SETTINGS, documented

# Words of the domain the plumbing must not use, besides the services' own words taken from their specs. (Not
# "worker": gunicorn's web workers are plumbing; the domain's workers are in the event types.)
DOMAIN_WORDS = {"card", "authority", "employer", "resignation"}


def source_of(module: object) -> str:
    return Path(str(getattr(module, "__file__", ""))).read_text(encoding="utf-8").lower()


def named(words: set[str], source: str) -> list[str]:
    return sorted(w for w in words if re.search(rf"(?<![\w.-]){re.escape(w)}(?![\w-])", source))


def event_types() -> set[str]:
    return {t for q in declared_queues() for t in q.event_types}


def test_the_kits_topology_names_no_service_publisher_queue_or_event() -> None:
    source = source_of(topology_module).replace("servicespec", "")
    words = {*PLATFORM, *publishers(), *(q.purpose for q in declared_queues()), *event_types(), *DOMAIN_WORDS}
    assert named(words, source) == []


def test_the_kits_settings_module_names_no_services_setting_event_or_device() -> None:
    source = source_of(settings_module)
    outside_publishers = set(publishers()) - set(PLATFORM)
    services_settings = {s.env.lower() for spec in platform_specs() for s in spec.settings}
    words = {*services_settings, *event_types(), *outside_publishers, *DOMAIN_WORDS}
    assert services_settings and outside_publishers
    assert named(words, source) == []


def test_no_plumbing_setting_belongs_to_one_service() -> None:
    for setting in SETTINGS:
        assert not any(setting.env.startswith(f"REALNAME_{s.upper()}_") for s in SERVICES), setting.env
        if "<SERVICE>" not in setting.env:  # a per-service setting names services as examples
            assert not any(s in setting.doc.lower() for s in SERVICES), setting.env


def test_the_documented_settings_are_the_plumbings_then_each_services() -> None:
    every = documented()
    assert every[:len(SETTINGS)] == SETTINGS
    assert set(every[len(SETTINGS):]) == {s for spec in platform_specs() for s in spec.settings}
    assert len({s.env for s in every}) == len(every)


def test_the_roles_of_access_are_no_longer_in_the_kit() -> None:
    kit = Path(str(settings_module.__file__)).parent
    assert not (kit / "roles.py").exists()

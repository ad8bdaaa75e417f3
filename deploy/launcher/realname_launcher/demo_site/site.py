"""The demo site beside a running platform (both modes): seeded once the gateway answers, its devices run until the
platform stops. A failure is said once and leaves the platform running."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import requests

from realname_attendance.settings import gate_broker_url
from realname_kit.settings import Settings
from realname_launcher.demo_site.announce import lines
from realname_launcher.demo_site.client import DemoSiteFailed
from realname_launcher.demo_site.crew import staff
from realname_launcher.demo_site.devices import ATTENDANCE, Devices, install
from realname_launcher.demo_site.parties import Parties, take_part
from realname_launcher.platform import log

DEMO_SITE = "REALNAME_DEMO_SITE"
READY_TIMEOUT_S = 300


def start_demo_site(settings: Settings, base: str) -> Callable[[], None]:
    """Start the demo site beside the platform at ``base`` when wanted; what stops it (nothing to stop otherwise)."""
    demo = DemoSite.wanted(settings)
    if demo is None:
        return lambda: None
    demo.start(base)
    return demo.stop


class DemoSite:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.directory = settings.data_dir / "demo-site"
        self.devices: Devices | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def wanted(cls, settings: Settings) -> DemoSite | None:
        """The demo site, unless REALNAME_DEMO_SITE is off; none without a gate broker (said once)."""
        if settings.value(DEMO_SITE) != "on":
            return None
        if not gate_broker_url(settings):
            print("demo site: not started, the platform has no broker for gates (REALNAME_GATE_AMQP_URL)", flush=True)
            return None
        return cls(settings)

    def start(self, base: str) -> None:
        self._thread = threading.Thread(target=self._run, args=(base,), name="demo-site", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop its devices and the bridge process (the seeding, if under way, stops at its next step)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        if self.devices is not None:
            self.devices.stop()

    def _run(self, base: str) -> None:
        try:
            self._wait_until_up(base)
            self.directory.mkdir(parents=True, exist_ok=True)
            parties = take_part(base, self.settings.data_dir, self.directory)
            try:
                workers = staff(parties)
                if self._stopping.is_set():
                    return
                self.devices = install(parties.pm, parties.project_id, self.directory / "bridges",
                                       self.settings.bus_prefix)
                if self.devices.reused:
                    self._resync(parties)
            finally:
                parties.close()
        except (DemoSiteFailed, requests.RequestException, OSError) as exc:
            if not self._stopping.is_set():
                log.warning("demo_site_failed", error=str(exc)[:500])
                print(f"demo site: not started ({str(exc)[:300]})", flush=True)
            return
        log.info("demo_site_up", project_id=parties.project_id, workers=len(workers))
        print("\n".join(lines(base, parties, len(workers))), flush=True)

    def _wait_until_up(self, base: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._stopping.is_set():
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise DemoSiteFailed(f"the platform was not ready after {READY_TIMEOUT_S} s")
            self._stopping.wait(0.5)
        raise DemoSiteFailed("stopping")

    def _resync(self, parties: Parties) -> None:
        """Restarted simulators hold nobody: every pair of their gates is sent again."""
        assert self.devices is not None
        for gate_id in self.devices.gate_ids.values():
            parties.pm.call("POST", f"{ATTENDANCE}/projects/{parties.project_id}/gate-sync/resync", 202,
                            json={"gate_id": gate_id})

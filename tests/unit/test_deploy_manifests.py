"""The deployment files run the processes of distributed mode as the launcher does.

Compose (``deploy/compose/compose.yaml``) and Kubernetes (``deploy/k8s/*.yaml``): per service a web
process, an outbox relay, a consumer exactly when the service has queues, and its migrations; the
gateway; health checks on every web process; and only ``REALNAME_*`` settings that exist.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from realname_kit.bus.topology import queues_of
from realname_kit.settings import SERVICE_PORTS, SERVICES, setting_names

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose" / "compose.yaml"
K8S = ROOT / "deploy" / "k8s"
K8S_FILES = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
ALL_FILES = [COMPOSE, *K8S_FILES, ROOT / "deploy" / "docker" / "Dockerfile"]

ROLES = ("web", "consumer", "relay")
EVERY_PROCESS_ENV = ("REALNAME_AMQP_URL", "REALNAME_DATABASE_URL", "REALNAME_AUTH_PUBLIC_KEY_FILE",
                     "REALNAME_LOG_FORMAT")
METRICS_DIR = "/tmp/metrics"  # inside the container: an emptyDir / tmpfs


def web_command(app: str, port: int) -> list[str]:
    return shlex.split(f"gunicorn -c python:realname_kit.gunicorn_conf --bind 0.0.0.0:{port} "
                       f"'realname_{app}.app:create_app()'")


def expected_processes() -> dict[str, list[str]]:
    """Process name (compose service / k8s Deployment) → its exact command."""
    out = {}
    for service in SERVICES:
        out[f"{service}-web"] = web_command(service, SERVICE_PORTS[service])
        if queues_of(service):
            out[f"{service}-consumer"] = ["realname-svc", "consumer", service]
        out[f"{service}-relay"] = ["realname-svc", "relay", service]
    out["gateway"] = web_command("gateway", SERVICE_PORTS["gateway"])
    return out


def role_of(name: str) -> str:
    return "web" if name == "gateway" else name.rsplit("-", 1)[1]


def service_of(name: str) -> str:
    return "gateway" if name == "gateway" else name.rsplit("-", 1)[0]


# --- compose ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return doc


def realname_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in compose["services"].items()
            if str(svc.get("image", "")).startswith("realname:")}


def compose_env(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def test_compose_runs_each_process_with_its_exact_command(compose: dict[str, Any]) -> None:
    services = realname_services(compose)
    migrations = {f"{s}-migrate": ["realname-svc", "migrate", s] for s in SERVICES}
    assert {n: s["command"] for n, s in services.items()} == expected_processes() | migrations


def test_compose_starts_processes_after_their_broker_database_and_migration(compose: dict[str, Any]) -> None:
    for name, svc in realname_services(compose).items():
        depends = {dep: cond["condition"] for dep, cond in svc["depends_on"].items()}
        if name.endswith("-migrate"):
            assert depends == {"postgres": "service_healthy"}, name
            assert svc["restart"] == "no", name
        elif name == "gateway":
            assert depends == {f"{s}-web": "service_healthy" for s in SERVICES}
        else:
            service = service_of(name)
            assert depends == {"postgres": "service_healthy", "rabbitmq": "service_healthy",
                               f"{service}-migrate": "service_completed_successfully"}, name


def test_compose_brokers_and_gateway(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["rabbitmq"]["image"] == "rabbitmq:3.13-management"
    assert "healthcheck" in services["postgres"]
    assert "healthcheck" in services["rabbitmq"]
    assert services["gateway"]["ports"] == ["8000:8000"]
    gateway_env = compose_env(services["gateway"])
    for service in SERVICES:
        assert gateway_env[f"REALNAME_{service.upper()}_URL"] == \
            f"http://{service}-web:{SERVICE_PORTS[service]}"


def test_compose_web_processes_have_healthchecks(compose: dict[str, Any]) -> None:
    for name, svc in realname_services(compose).items():
        if role_of(name) != "web" or name.endswith("-migrate"):
            continue
        port = SERVICE_PORTS[service_of(name)]
        probe = " ".join(svc["healthcheck"]["test"])
        assert re.search(rf"127\.0\.0\.1:{port}/(healthz|readyz)\b", probe), (name, probe)
        env = compose_env(svc)
        assert env["PROMETHEUS_MULTIPROC_DIR"] == METRICS_DIR, name
        assert "REALNAME_WEB_WORKERS" in env, name
        assert METRICS_DIR in svc["tmpfs"], name


def test_compose_consumers_can_be_scaled(compose: dict[str, Any]) -> None:
    for name, svc in realname_services(compose).items():
        if role_of(name) == "consumer":
            assert "container_name" not in svc and "ports" not in svc, name


def test_compose_every_process_gets_the_shared_settings_and_the_key(compose: dict[str, Any]) -> None:
    secret_names = set(compose["secrets"])
    for name, svc in realname_services(compose).items():
        env = compose_env(svc)
        assert set(EVERY_PROCESS_ENV) <= set(env), name
        assert env["REALNAME_LOG_FORMAT"] == "json", name
        secret = env["REALNAME_AUTH_PUBLIC_KEY_FILE"].removeprefix("/run/secrets/")
        assert secret in secret_names and secret in svc["secrets"], name


# --- kubernetes ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def k8s() -> list[dict[str, Any]]:
    return [doc for path in K8S_FILES for doc in yaml.safe_load_all(path.read_text()) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_spec(deployment: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


def main_container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = pod_spec(deployment)["containers"]
    return container  # type: ignore[no-any-return]


def command_of(container: dict[str, Any]) -> list[str]:
    return [*container.get("command", []), *container.get("args", [])]


def container_env(container: dict[str, Any], config_maps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every variable a container gets: from its ConfigMaps (envFrom) and its own env (value or ref)."""
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]]["data"])
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return env


def test_k8s_deploys_each_process_with_its_exact_command(k8s: list[dict[str, Any]]) -> None:
    deployments = of_kind(k8s, "Deployment")
    assert {n: command_of(main_container(d)) for n, d in deployments.items()} == expected_processes()


def test_k8s_migrates_before_every_service_process(k8s: list[dict[str, Any]]) -> None:
    for name, deployment in of_kind(k8s, "Deployment").items():
        inits = [command_of(c) for c in pod_spec(deployment).get("initContainers", [])]
        if name == "gateway":
            assert inits == [], name
        else:
            assert inits == [["realname-svc", "migrate", service_of(name)]], name


def test_k8s_web_deployments_have_probes_a_service_and_an_hpa(k8s: list[dict[str, Any]]) -> None:
    deployments, services, hpas = (of_kind(k8s, kind) for kind in
                                   ("Deployment", "Service", "HorizontalPodAutoscaler"))
    webs = {n for n in deployments if role_of(n) == "web"}
    assert set(services) == webs  # consumers and relays take no traffic
    assert set(hpas) == webs
    for name in webs:
        deployment = deployments[name]
        container = main_container(deployment)
        port = SERVICE_PORTS[service_of(name)]
        (http,) = container["ports"]
        assert http["containerPort"] == port
        # The gateway's /healthz asks every service; its liveness must not depend on them.
        alive = "/livez" if service_of(name) == "gateway" else "/healthz"
        for probe, path in (("livenessProbe", alive), ("readinessProbe", "/readyz")):
            assert container[probe]["httpGet"]["path"] == path, (name, probe)
            assert container[probe]["httpGet"]["port"] in (port, http["name"]), (name, probe)
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
        assert "memory" in container["resources"]["limits"], name
        assert "replicas" not in deployment["spec"], f"{name}: the HPA owns the replica count"

        selector = deployment["spec"]["selector"]["matchLabels"]
        service = services[name]
        assert service["spec"]["selector"] == selector
        (service_port,) = service["spec"]["ports"]
        assert service_port["port"] == port

        hpa = hpas[name]["spec"]
        assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        (metric,) = hpa["metrics"]
        assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"


def test_k8s_web_processes_keep_metrics_in_an_empty_dir(k8s: list[dict[str, Any]]) -> None:
    config_maps = of_kind(k8s, "ConfigMap")
    for name, deployment in of_kind(k8s, "Deployment").items():
        if role_of(name) != "web":
            continue
        container = main_container(deployment)
        env = container_env(container, config_maps)
        assert env["PROMETHEUS_MULTIPROC_DIR"] == METRICS_DIR, name
        assert "REALNAME_WEB_WORKERS" in env, name
        volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
        (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == METRICS_DIR]
        assert "emptyDir" in volumes[mount["name"]], name


def test_k8s_every_process_gets_the_shared_settings_secrets_and_the_key(k8s: list[dict[str, Any]]) -> None:
    config_maps = of_kind(k8s, "ConfigMap")
    for name, deployment in of_kind(k8s, "Deployment").items():
        volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
        for container in [*pod_spec(deployment).get("initContainers", []), *pod_spec(deployment)["containers"]]:
            env = container_env(container, config_maps)
            assert set(EVERY_PROCESS_ENV) <= set(env), name
            assert env["REALNAME_LOG_FORMAT"] == "json", name
            for url in ("REALNAME_AMQP_URL", "REALNAME_DATABASE_URL"):
                assert "secretKeyRef" in env[url], f"{name}: {url} holds a password; it comes from a Secret"
            key_file = Path(env["REALNAME_AUTH_PUBLIC_KEY_FILE"])
            mounts = [m for m in container["volumeMounts"] if Path(m["mountPath"]) == key_file.parent]
            assert len(mounts) == 1 and "secret" in volumes[mounts[0]["name"]], name


def test_k8s_gateway_reaches_every_service_web(k8s: list[dict[str, Any]]) -> None:
    env = container_env(main_container(of_kind(k8s, "Deployment")["gateway"]), of_kind(k8s, "ConfigMap"))
    for service in SERVICES:
        assert env[f"REALNAME_{service.upper()}_URL"] == f"http://{service}-web:{SERVICE_PORTS[service]}"


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["namespace"] == "realname"
    assert sorted(kustomization["resources"]) == sorted(p.name for p in K8S_FILES)


# --- both ---------------------------------------------------------------------------------------------


def env_names_in(compose: dict[str, Any], k8s: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for name, svc in compose["services"].items():
        for var in compose_env(svc):
            yield f"compose {name}", var
    for doc in k8s:
        if doc["kind"] == "ConfigMap":
            for var in doc["data"]:
                yield f"ConfigMap {doc['metadata']['name']}", var
        if doc["kind"] == "Deployment":
            spec = pod_spec(doc)
            for container in [*spec.get("initContainers", []), *spec["containers"]]:
                for item in container.get("env", []):
                    yield f"Deployment {doc['metadata']['name']}", item["name"]


def test_every_realname_variable_is_a_real_setting(compose: dict[str, Any], k8s: list[dict[str, Any]]) -> None:
    real = setting_names()
    used = {(where, var) for where, var in env_names_in(compose, k8s) if var.startswith("REALNAME_")}
    assert used, "no REALNAME_ variable found: the parsing is broken"
    assert {(where, var) for where, var in used if var not in real} == set()
    # Also anything named in text (comments, interpolation), so no stale name lingers anywhere.
    for path in ALL_FILES:
        mentioned = set(re.findall(r"\bREALNAME_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()))
        assert mentioned - real == set(), path.name


def test_no_file_names_a_path_of_a_build_machine() -> None:
    for path in [*ALL_FILES, ROOT / "deploy" / "docker" / "Dockerfile.dockerignore"]:
        assert not re.search(r"/(work|home|Users)/", path.read_text()), path.name

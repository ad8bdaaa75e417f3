"""The deployment files run the processes of distributed mode as the launcher does.

Compose (``deploy/compose/compose.yaml``) and Kubernetes (``deploy/k8s/*.yaml``): per service a web
process, an outbox relay, a consumer exactly when the service has queues, and its migrations; the
gateway with its own migrations and outbox relay; health checks on every web process; the gateway's
secrets (token-signing key pair, login CAs) in the gateway's web containers alone, the personal-data
keyring in the web and consumer containers of every service that stores personal data (and nowhere
else), the services verifying tokens through its JWKS; the identity consumer asking the real identity
authority and the identity web process the broker's management API, never the development simulator;
and only ``REALNAME_*`` settings that exist.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from realname_gateway.auth import api as gateway_auth_api
from realname_kit.bus.topology import queues_of
from realname_kit.service import load_spec
from realname_kit.settings import SERVICE_PORTS, SERVICES, Settings, setting_names
from realname_launcher.platform import all_specs
from realname_launcher.processes import process_kinds

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose" / "compose.yaml"
K8S = ROOT / "deploy" / "k8s"
K8S_FILES = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
KUSTOMIZATION = K8S / "kustomization.yaml"
ALL_FILES = [COMPOSE, *K8S_FILES, KUSTOMIZATION, ROOT / "deploy" / "docker" / "Dockerfile"]

ROLES = ("web", "consumer", "relay")
EVERY_PROCESS_ENV = ("REALNAME_AMQP_URL", "REALNAME_DATABASE_URL", "REALNAME_LOG_FORMAT")
METRICS_DIR = "/tmp/metrics"  # inside the container: an emptyDir / tmpfs
DATABASES = (*SERVICES, "gateway")  # each migrated by `realname-svc migrate <name>`
# Services verify bearer tokens with the keys the gateway publishes, reached by its compose service /
# Kubernetes Service name.
JWKS_URL = f"http://gateway:{SERVICE_PORTS['gateway']}{gateway_auth_api.auth.url_prefix}/jwks"
# Files only the gateway web process reads: the key that signs tokens, the personal-data keyring, the
# CAs (and their CRL) that certificate logins are checked against, and the public key it verifies with.
SIGNING_KEY_FILE = "REALNAME_AUTH_PRIVATE_KEY_FILE"
GATEWAY_FILES = (SIGNING_KEY_FILE, "REALNAME_AUTH_PUBLIC_KEY_FILE", "REALNAME_DATA_KEYS_FILE",
                 "REALNAME_CA_BUNDLE_FILE", "REALNAME_CRL_FILE")
SECRET_FILES = (SIGNING_KEY_FILE, "REALNAME_AUTH_PUBLIC_KEY_FILE", "REALNAME_DATA_KEYS_FILE")
DATA_KEYS_FILE = "REALNAME_DATA_KEYS_FILE"
GATEWAY_ONLY_FILES = tuple(f for f in GATEWAY_FILES if f != DATA_KEYS_FILE)
LOGIN_CA_FILES = ("REALNAME_CA_BUNDLE_FILE", "REALNAME_CRL_FILE")  # public: CA certificates, revocation lists
DATA_KEYS_SECRET = "data-keys"  # compose: the secret; Kubernetes: the volume of Secret realname-data-keys
AUTHORITY_URL = "REALNAME_IDENTITY_AUTHORITY_URL"
MANAGEMENT_URL = "REALNAME_AMQP_MANAGEMENT_URL"
SIMULATOR_MODULE = "realname_identity.authority_sim"
GATEWAY_METRICS_PORT = 8099
URLS_SECRET = "realname-urls"  # Kubernetes: the installation's endpoints, created beside the manifests


def web_command(app: str, port: int, *internal: int) -> list[str]:
    more = "".join(f"--bind 0.0.0.0:{p} " for p in internal)
    return shlex.split(f"gunicorn -c python:realname_kit.gunicorn_conf --bind 0.0.0.0:{port} {more}"
                       f"'realname_{app}.app:create_app()'")


def expected_processes() -> dict[str, list[str]]:
    """Process name (compose service / k8s Deployment) → its exact command."""
    out = {}
    for service in SERVICES:
        out[f"{service}-web"] = web_command(service, SERVICE_PORTS[service])
        if queues_of(service):
            out[f"{service}-consumer"] = ["realname-svc", "consumer", service]
        out[f"{service}-relay"] = ["realname-svc", "relay", service]
    out["gateway-relay"] = ["realname-svc", "relay", "gateway"]
    # The gateway's /metrics: on its internal port only (the default REALNAME_GATEWAY_METRICS_PORT).
    out["gateway"] = web_command("gateway", SERVICE_PORTS["gateway"], GATEWAY_METRICS_PORT)
    return out


def expected_migrations() -> dict[str, list[str]]:
    return {f"{name}-migrate": ["realname-svc", "migrate", name] for name in DATABASES}


def role_of(name: str) -> str:
    return "web" if name == "gateway" else name.rsplit("-", 1)[1]


def service_of(name: str) -> str:
    return "gateway" if name == "gateway" else name.rsplit("-", 1)[0]


def is_gateway_web(name: str) -> bool:
    return name == "gateway"


def watches_revocations(name: str) -> bool:
    """The gateway's relay ends the sessions of the certificates a new CRL revokes: it reads the login CAs (R31)."""
    return name == "gateway-relay"


def holds_personal_data(name: str) -> bool:
    """A web or consumer process of a database with encrypted columns seals and opens them: it needs the keyring.

    Migrations never decrypt and relays only publish outbox rows: they get no key.
    """
    return role_of(name) in ("web", "consumer") and bool(load_spec(service_of(name)).protected)


def test_the_processes_handling_personal_data_are_the_gateway_and_the_identity_registry_and_attendance_web_and_consumer(
) -> None:
    keyed = {name for name in expected_processes() | expected_migrations() if holds_personal_data(name)}
    assert keyed == {"gateway", "registry-web", "registry-consumer", "identity-web", "identity-consumer",
                     "attendance-web", "attendance-consumer"}  # attendance: face photos


def test_the_expected_processes_are_the_launchers() -> None:
    """Every process kind of ``realname up --distributed`` is deployed, with the same command."""
    # Deployments use the real identity authority: the launcher as configured for one, without its simulator.
    kinds = process_kinds(Settings.from_env({"REALNAME_AUTHORITY_SIM": "off"}), {})
    expected = expected_processes()
    assert {"gateway" if k.name == "gateway-web" else k.name for k in kinds} == set(expected)
    for kind in kinds:
        name = "gateway" if kind.name == "gateway-web" else kind.name
        assert (service_of(name), role_of(name)) == (kind.service, kind.role), name
        if kind.role == "web":
            assert kind.argv[-1] == expected[name][-1], name
            assert kind.argv[kind.argv.index("--bind") + 1].endswith(f":{SERVICE_PORTS[kind.service]}"), name
        else:
            assert kind.argv[1:3] == ("-m", "realname_kit.cli"), name  # the module of realname-svc
            assert ["realname-svc", *kind.argv[3:]] == expected[name], name
    assert tuple(spec.name for spec in all_specs()) == DATABASES


def test_the_launcher_adds_only_the_authority_simulator_for_development() -> None:
    deployed = process_kinds(Settings.from_env({"REALNAME_AUTHORITY_SIM": "off"}), {})
    development = process_kinds(Settings.from_env({}), {})
    simulators = [(k.name, k.service, k.argv[1:]) for k in development if k.role == "simulator"]
    assert simulators == [("authority-sim", "identity", ("-m", SIMULATOR_MODULE))]
    assert [k for k in development if k.role != "simulator"] == deployed


def test_the_jwks_url_is_the_gateways_route() -> None:
    assert gateway_auth_api.auth.url_prefix == "/api/v1/auth"
    assert callable(gateway_auth_api.jwks)
    assert JWKS_URL == "http://gateway:8000/api/v1/auth/jwks"


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
    assert {n: s["command"] for n, s in services.items()} == expected_processes() | expected_migrations()


def test_compose_starts_processes_after_their_broker_database_and_migration(compose: dict[str, Any]) -> None:
    for name, svc in realname_services(compose).items():
        depends = {dep: cond["condition"] for dep, cond in svc["depends_on"].items()}
        if name.endswith("-migrate"):
            assert depends == {"postgres": "service_healthy"}, name
            assert svc["restart"] == "no", name
        elif name == "gateway":
            assert depends == {**{f"{s}-web": "service_healthy" for s in SERVICES},
                               "redis": "service_healthy", "gateway-migrate": "service_completed_successfully"}
        else:
            service = service_of(name)
            assert depends == {"postgres": "service_healthy", "rabbitmq": "service_healthy",
                               f"{service}-migrate": "service_completed_successfully"}, name


def test_compose_brokers_and_gateway(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["rabbitmq"]["image"] == "rabbitmq:3.13-management"
    assert services["redis"]["image"] == "redis:7"
    assert "healthcheck" in services["postgres"]
    assert "healthcheck" in services["rabbitmq"]
    assert "healthcheck" in services["redis"]
    assert "ports" not in services["redis"], "Redis is for the gateway alone: not published"
    assert services["gateway"]["ports"] == ["8000:8000"]
    gateway_env = compose_env(services["gateway"])
    for service in SERVICES:
        assert gateway_env[f"REALNAME_{service.upper()}_URL"] == \
            f"http://{service}-web:{SERVICE_PORTS[service]}"
    assert re.fullmatch(r"redis://redis:6379(/\d+)?", gateway_env["REALNAME_REDIS_URL"])


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


def test_compose_every_process_gets_the_shared_settings(compose: dict[str, Any]) -> None:
    for name, svc in realname_services(compose).items():
        env = compose_env(svc)
        assert set(EVERY_PROCESS_ENV) <= set(env), name
        assert env["REALNAME_LOG_FORMAT"] == "json", name
        if service_of(name) != "gateway":
            assert env["REALNAME_AUTH_JWKS_URL"] == JWKS_URL, name


def test_compose_gateway_gets_its_keys_and_login_cas(compose: dict[str, Any]) -> None:
    gateway = compose["services"]["gateway"]
    env = compose_env(gateway)
    for setting in SECRET_FILES:
        path = env[setting]
        assert path.startswith("/run/secrets/"), setting
        secret = path.removeprefix("/run/secrets/")
        assert secret in gateway["secrets"] and "file" in compose["secrets"][secret], setting
    binds = {v["target"]: v for v in gateway["volumes"]}
    for setting in ("REALNAME_CA_BUNDLE_FILE", "REALNAME_CRL_FILE"):
        # The folder, not the file: a CRL replaced on the host applies at the next login.
        bind = binds[str(Path(env[setting]).parent)]
        assert bind["type"] == "bind" and bind["read_only"] is True, setting


def test_compose_gives_the_keyring_to_every_process_that_handles_personal_data(compose: dict[str, Any]) -> None:
    gateway_env = compose_env(compose["services"]["gateway"])
    for name, svc in realname_services(compose).items():
        if holds_personal_data(name):
            assert compose_env(svc)[DATA_KEYS_FILE] == gateway_env[DATA_KEYS_FILE] == f"/run/secrets/{DATA_KEYS_SECRET}"
            assert DATA_KEYS_SECRET in svc["secrets"], name


def test_compose_keys_and_login_cas_reach_the_gateway_alone(compose: dict[str, Any]) -> None:
    """No other process, not even the gateway's relay or migration, holds a key or any mount, but for the
    keyring of a process that handles personal data, and the login CAs (public) of the relay that watches the CRL."""
    granted = {name: svc.get("secrets", []) for name, svc in compose["services"].items() if svc.get("secrets")}
    assert set(granted) == {name for name in realname_services(compose) if holds_personal_data(name)}
    assert set(granted["gateway"]) == set(compose["secrets"])
    assert "configs" not in compose
    for name, svc in realname_services(compose).items():
        if is_gateway_web(name):
            continue
        keyring = [DATA_KEYS_SECRET] if holds_personal_data(name) else []
        assert svc.get("secrets", []) == keyring, name
        assert "configs" not in svc, name
        env = compose_env(svc)
        if watches_revocations(name):
            gateway = compose["services"]["gateway"]
            assert svc["volumes"] == [v for v in gateway["volumes"] if v["target"] == "/etc/realname/login-ca"]
            assert svc["volumes"][0]["read_only"] is True
            assert {f: env[f] for f in LOGIN_CA_FILES} == {f: compose_env(gateway)[f] for f in LOGIN_CA_FILES}
            env = {k: v for k, v in env.items() if k not in LOGIN_CA_FILES}
        else:
            assert "volumes" not in svc, name
        assert not set(GATEWAY_ONLY_FILES) & set(env), name
        assert (DATA_KEYS_FILE in env) == holds_personal_data(name), name


def test_compose_asks_the_identity_authority_from_the_identity_consumer_alone(compose: dict[str, Any]) -> None:
    """Its URL is the compose user's to give: compose refuses to start without one rather than guess."""
    services = realname_services(compose)
    assert {name for name, svc in services.items() if AUTHORITY_URL in compose_env(svc)} == {"identity-consumer"}
    url = compose_env(services["identity-consumer"])[AUTHORITY_URL]
    assert re.fullmatch(r"\$\{IDENTITY_AUTHORITY_URL:\?[^}]+\}", url), url


def test_compose_gives_the_identity_web_the_brokers_management_api(compose: dict[str, Any]) -> None:
    """The broker's own management plugin, reached as the broker's administrator (the AMQP URL's account)."""
    services = realname_services(compose)
    assert {name for name, svc in services.items() if MANAGEMENT_URL in compose_env(svc)} == {"identity-web"}
    env = compose_env(services["identity-web"])
    account = env["REALNAME_AMQP_URL"].removeprefix("amqp://").rsplit("@", 1)[0]
    assert env[MANAGEMENT_URL] == f"http://{account}@rabbitmq:15672"
    assert compose["services"]["rabbitmq"]["image"].endswith("-management")


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


def containers_of(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(deployment)
    return [*spec.get("initContainers", []), *spec["containers"]]


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


def test_k8s_migrates_before_every_process(k8s: list[dict[str, Any]]) -> None:
    deployments = of_kind(k8s, "Deployment")
    for name, deployment in deployments.items():
        inits = [command_of(c) for c in pod_spec(deployment).get("initContainers", [])]
        assert inits == [["realname-svc", "migrate", service_of(name)]], name
    assert {service_of(name) for name in deployments} == set(DATABASES)


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
        http, *internal = container["ports"]
        assert http["containerPort"] == port
        # Only the gateway has a second port: its /metrics, which its Service does not route.
        assert internal == ([{"name": "metrics", "containerPort": GATEWAY_METRICS_PORT}]
                            if is_gateway_web(name) else []), name
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


def test_k8s_every_process_gets_the_shared_settings_and_secrets(k8s: list[dict[str, Any]]) -> None:
    config_maps = of_kind(k8s, "ConfigMap")
    for name, deployment in of_kind(k8s, "Deployment").items():
        for container in containers_of(deployment):
            env = container_env(container, config_maps)
            assert set(EVERY_PROCESS_ENV) <= set(env), name
            assert env["REALNAME_LOG_FORMAT"] == "json", name
            for url in ("REALNAME_AMQP_URL", "REALNAME_DATABASE_URL"):
                assert "secretKeyRef" in env[url], f"{name}: {url} holds a password; it comes from a Secret"
            if service_of(name) != "gateway":
                assert env["REALNAME_AUTH_JWKS_URL"] == JWKS_URL, name


def mounted_source(deployment: dict[str, Any], container: dict[str, Any], path: str) -> tuple[dict[str, Any],
                                                                                          dict[str, Any]]:
    """The one mount of ``path``'s folder (not a subPath: updates reach the pod) and its volume."""
    volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
    (mount,) = [m for m in container["volumeMounts"] if Path(m["mountPath"]) == Path(path).parent]
    assert "subPath" not in mount
    return mount, volumes[mount["name"]]


def test_k8s_gateway_gets_its_keys_login_cas_and_redis(k8s: list[dict[str, Any]]) -> None:
    deployment = of_kind(k8s, "Deployment")["gateway"]
    container = main_container(deployment)
    env = container_env(container, of_kind(k8s, "ConfigMap"))
    for setting in GATEWAY_FILES:
        mount, volume = mounted_source(deployment, container, env[setting])
        assert mount.get("readOnly") is True, setting
        if setting in SECRET_FILES:
            assert "secret" in volume, setting
            assert volume["secret"].get("defaultMode", 0o644) & 0o007 == 0, f"{setting}: not world-readable"
        else:
            assert "configMap" in volume or "secret" in volume, setting
    assert "secretKeyRef" in env["REALNAME_REDIS_URL"], "the Redis URL may hold a password"


def data_keys_volume(deployment: dict[str, Any]) -> dict[str, Any]:
    volumes: list[dict[str, Any]] = [v for v in pod_spec(deployment)["volumes"] if v["name"] == DATA_KEYS_SECRET]
    (volume,) = volumes
    return volume


def test_k8s_gives_the_keyring_to_every_process_that_handles_personal_data(k8s: list[dict[str, Any]]) -> None:
    """Mounted as the gateway mounts it: the same Secret, read-only, not world-readable, at the same path."""
    config_maps, deployments = of_kind(k8s, "ConfigMap"), of_kind(k8s, "Deployment")
    gateway = deployments["gateway"]
    gateway_path = container_env(main_container(gateway), config_maps)[DATA_KEYS_FILE]
    for name, deployment in deployments.items():
        if not holds_personal_data(name):
            continue
        container = main_container(deployment)
        path = container_env(container, config_maps)[DATA_KEYS_FILE]
        assert path == gateway_path, name
        mount, volume = mounted_source(deployment, container, path)
        assert mount.get("readOnly") is True, name
        assert volume == data_keys_volume(gateway), name
        # The Secret's files are 0440 root:<fsGroup>: the process reads them through its group.
        security = pod_spec(deployment)["securityContext"]
        assert security["fsGroup"] == security["runAsGroup"], name


def test_k8s_keys_and_login_cas_reach_the_gateway_alone(k8s: list[dict[str, Any]]) -> None:
    """Only the gateway web pods mount anything but emptyDirs and the keyring; only a process that handles
    personal data names the keyring; no migration mounts or names a key."""
    config_maps = of_kind(k8s, "ConfigMap")
    for name, deployment in of_kind(k8s, "Deployment").items():
        for init in pod_spec(deployment)["initContainers"]:
            env = container_env(init, config_maps)
            assert not set(GATEWAY_FILES) & set(env), (name, init["name"])
            assert {m["mountPath"] for m in init["volumeMounts"]} == {"/tmp"}, (name, init["name"])
        if is_gateway_web(name):
            continue
        for volume in pod_spec(deployment)["volumes"]:
            if holds_personal_data(name) and volume["name"] == DATA_KEYS_SECRET:
                continue
            if watches_revocations(name) and volume == {"name": "login-ca", "configMap": {"name": "realname-login-ca"}}:
                continue
            assert set(volume) == {"name", "emptyDir"}, (name, volume["name"])
        env = container_env(main_container(deployment), config_maps)
        if watches_revocations(name):
            env = {k: v for k, v in env.items() if k not in LOGIN_CA_FILES}
        assert not set(GATEWAY_ONLY_FILES) & set(env), name
        assert (DATA_KEYS_FILE in env) == holds_personal_data(name), name


def test_k8s_gateway_reaches_every_service_web(k8s: list[dict[str, Any]]) -> None:
    env = container_env(main_container(of_kind(k8s, "Deployment")["gateway"]), of_kind(k8s, "ConfigMap"))
    for service in SERVICES:
        assert env[f"REALNAME_{service.upper()}_URL"] == f"http://{service}-web:{SERVICE_PORTS[service]}"


def secret_ref(env: dict[str, Any], setting: str) -> tuple[str, str]:
    ref = env[setting]["secretKeyRef"]
    return ref["name"], ref["key"]


def deployments_given(k8s: list[dict[str, Any]], setting: str) -> set[str]:
    config_maps = of_kind(k8s, "ConfigMap")
    return {name for name, deployment in of_kind(k8s, "Deployment").items()
            if any(setting in container_env(c, config_maps) for c in containers_of(deployment))}


def test_k8s_asks_the_identity_authority_from_the_identity_consumer_alone(k8s: list[dict[str, Any]]) -> None:
    assert deployments_given(k8s, AUTHORITY_URL) == {"identity-consumer"}
    consumer = main_container(of_kind(k8s, "Deployment")["identity-consumer"])
    env = container_env(consumer, of_kind(k8s, "ConfigMap"))
    assert secret_ref(env, AUTHORITY_URL) == (URLS_SECRET, "identity-authority-url")


def test_k8s_gives_the_identity_web_the_brokers_management_api(k8s: list[dict[str, Any]]) -> None:
    assert deployments_given(k8s, MANAGEMENT_URL) == {"identity-web"}
    web = main_container(of_kind(k8s, "Deployment")["identity-web"])
    env = container_env(web, of_kind(k8s, "ConfigMap"))
    assert secret_ref(env, MANAGEMENT_URL) == (URLS_SECRET, "amqp-management-url")


def test_k8s_every_key_read_from_the_urls_secret_is_one_the_kustomization_says_to_create(
        k8s: list[dict[str, Any]]) -> None:
    keys = {item["valueFrom"]["secretKeyRef"]["key"]
            for deployment in of_kind(k8s, "Deployment").values() for container in containers_of(deployment)
            for item in container.get("env", [])
            if item.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == URLS_SECRET}
    described = set(re.findall(r"--from-literal=([a-z-]+)=", KUSTOMIZATION.read_text()))
    assert {"database-url", "amqp-url", "identity-authority-url", "amqp-management-url"} <= keys
    assert keys == described


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
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
            for container in containers_of(doc):
                for item in container.get("env", []):
                    yield f"Deployment {doc['metadata']['name']}", item["name"]


def test_no_deployment_runs_the_authority_simulator(compose: dict[str, Any], k8s: list[dict[str, Any]]) -> None:
    """The simulator stands in for the authority in development; deployed, every process has it off."""
    config_maps = of_kind(k8s, "ConfigMap")
    processes = [(f"compose {name}", svc.get("command", []), compose_env(svc))
                 for name, svc in realname_services(compose).items()]
    processes += [(f"Deployment {name} {c['name']}", command_of(c), container_env(c, config_maps))
                  for name, deployment in of_kind(k8s, "Deployment").items() for c in containers_of(deployment)]
    for where, command, env in processes:
        assert SIMULATOR_MODULE not in " ".join(command), where
        assert env.get("REALNAME_AUTHORITY_SIM") == "off", where


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
    for path in [*ALL_FILES, ROOT / "deploy" / "docker" / "Dockerfile.dockerignore",
                 ROOT / "deploy" / "compose" / "secrets" / ".gitignore"]:
        assert not re.search(r"/(work|home|Users)/", path.read_text()), path.name

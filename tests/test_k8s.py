"""The Kubernetes manifests (deploy/k8s): each overlay renders with kustomize, every rendered
object is valid against the Kubernetes JSON schemas (strict: no unknown field) of 1.31 and
1.37, and the properties that matter hold: probes on routes the app serves, one port from the
app to the Service, a pinned image, a locked-down container, no secret value, the migration
Job running dbmate."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from litestar import Litestar

from app.core.config import Settings
from tests.api import Client
from tests.deploy_tools import OVERLAYS, ROOT, render

SCHEMA_VERSIONS = ("1.31.0", "1.37.0")
SECRET_NAMES = {"DATABASE_URL", "JWT_SECRET"}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {overlay: render(overlay) for overlay in OVERLAYS}


def one(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def pod_specs(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"])
        for o in objects
        if o["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}
    ]


def api_container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    containers = one(objects, "Deployment", "kinetria-api")["spec"]["template"]["spec"][
        "containers"
    ]
    return next(c for c in containers if c["name"] == "api")


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_every_object_is_valid_against_the_kubernetes_schema(
    rendered: dict[str, list[dict[str, Any]]], overlay: str, version: str
) -> None:
    kinds = {o["kind"] for o in rendered[overlay]}
    assert {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Job",
        "NetworkPolicy",
    } <= kinds
    for obj in rendered[overlay]:
        checked = kubernetes_validate.validate(obj, version, strict=True)
        assert checked == version.rsplit(".", 1)[0]


def test_the_validator_refuses_an_unknown_field(rendered: dict[str, list[dict[str, Any]]]) -> None:
    deployment = one(rendered["production"], "Deployment", "kinetria-api")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, SCHEMA_VERSIONS[0], strict=True)


def test_each_overlay_has_its_own_namespace(rendered: dict[str, list[dict[str, Any]]]) -> None:
    names = {}
    for overlay, objects in rendered.items():
        namespace = one(objects, "Namespace")["metadata"]["name"]
        names[overlay] = namespace
        assert (
            one(objects, "Namespace")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
            == "restricted"
        )
        for obj in objects:
            if obj["kind"] != "Namespace":
                assert obj["metadata"]["namespace"] == namespace, obj["metadata"]["name"]
    assert names == {"dev": "kinetria-dev", "production": "kinetria"}


def app_paths(app: Litestar) -> set[str]:
    return {route.path for route in app.routes}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_call_routes_the_app_serves(
    rendered: dict[str, list[dict[str, Any]]], overlay: str, app: Litestar, client: Client
) -> None:
    container = api_container(rendered[overlay])
    probes = {
        kind: container[kind]["httpGet"]
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert probes["livenessProbe"]["path"] == "/health"
    assert probes["startupProbe"]["path"] == "/health"
    assert probes["readinessProbe"]["path"] == "/health/ready"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in probes.values():
        assert probe["path"] in app_paths(app)
        assert probe["port"] in ports
        # and they answer 200 on a migrated database, without a token
        assert client.get(probe["path"]).status_code == 200
    # startup allows the app's database wait (DB_STARTUP_TIMEOUT) before liveness counts
    startup = container["startupProbe"]
    config = one(rendered[overlay], "ConfigMap", "kinetria-config")["data"]
    assert startup["periodSeconds"] * startup["failureThreshold"] > float(
        config["DB_STARTUP_TIMEOUT"]
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_port_from_the_app_to_the_service(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    objects = rendered[overlay]
    container = api_container(objects)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    config = one(objects, "ConfigMap", "kinetria-config")["data"]
    assert ports == {"http": int(config["PORT"])}
    assert int(config["PORT"]) == Settings().port  # the app's default, and the image's
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(rf"^EXPOSE {config['PORT']}$", dockerfile, re.MULTILINE)
    assert config["HOST"] == "0.0.0.0"  # noqa: S104 (a pod listens on its own address)

    service = one(objects, "Service", "kinetria-api")
    (service_port,) = service["spec"]["ports"]
    target = service_port["targetPort"]
    assert ports.get(target, target) == int(config["PORT"])
    template_labels = one(objects, "Deployment", "kinetria-api")["spec"]["template"]["metadata"][
        "labels"
    ]
    assert service["spec"]["selector"].items() <= template_labels.items()
    policy = one(objects, "NetworkPolicy", "kinetria-api")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= template_labels.items()
    (ingress,) = policy["spec"]["ingress"]
    assert [p["port"] for p in ingress["ports"]] == [target]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_hpa_and_pdb_select_the_api(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    objects = rendered[overlay]
    deployment = one(objects, "Deployment", "kinetria-api")
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    hpa = one(objects, "HorizontalPodAutoscaler", "kinetria-api")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "kinetria-api",
    }
    pdb = one(objects, "PodDisruptionBudget", "kinetria-api")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    # the budget never blocks every disruption: fewer pods must stay than the HPA's minimum
    if "minAvailable" in pdb["spec"]:
        assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]
    if overlay == "production":
        assert hpa["spec"]["minReplicas"] >= 3
        assert pdb["spec"]["minAvailable"] >= 2


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_are_pinned_and_the_same_for_api_and_migration(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    images = {
        c["image"]
        for _, spec in pod_specs(rendered[overlay])
        for c in spec["containers"] + spec.get("initContainers", [])
    }
    assert len(images) == 1
    (image,) = images
    name, _, tag = image.rpartition(":")
    assert "/" in name, f"{image}: no registry path or no tag"
    assert tag
    assert tag != "latest"
    if overlay == "production":
        version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
        assert tag == version, "production runs a release, tagged by the release job"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_containers_are_locked_down(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    image_user = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)[-1]
    for where, spec in pod_specs(rendered[overlay]):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, where
        assert str(pod["runAsUser"]) == image_user, f"{where}: not the image's user"
        assert pod["runAsUser"] != 0
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        writable = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where
            assert "privileged" not in security
            resources = container["resources"]
            for key in ("cpu", "memory"):
                assert resources["requests"][key], where
                assert resources["limits"][key], where
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in writable
    container = api_container(rendered[overlay])
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_references_only(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    objects = rendered[overlay]
    assert not [o for o in objects if o["kind"] == "Secret"], "the operator creates the Secret"
    config = one(objects, "ConfigMap", "kinetria-config")["data"]
    assert not SECRET_NAMES & config.keys()
    for where, spec in pod_specs(objects):
        for container in spec["containers"]:
            for variable in container.get("env", []):
                if variable["name"] in SECRET_NAMES:
                    assert "value" not in variable, f"{where}: {variable['name']} in the clear"
                    ref = variable["valueFrom"]["secretKeyRef"]
                    assert ref == {"name": "kinetria-secrets", "key": variable["name"]}
    env = {v["name"] for v in api_container(objects)["env"]}
    assert env >= SECRET_NAMES
    text = "\n".join(p.read_text() for p in (ROOT / "deploy" / "k8s").rglob("*.yaml"))
    assert "kind: Secret" not in text


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_shutdown_drains_before_the_pod_is_killed(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    objects = rendered[overlay]
    config = one(objects, "ConfigMap", "kinetria-config")["data"]
    container = api_container(objects)
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    pre_stop = int(command[1])
    assert pre_stop == int(config["SHUTDOWN_DRAIN_S"]) == 5
    grace = one(objects, "Deployment", "kinetria-api")["spec"]["template"]["spec"][
        "terminationGracePeriodSeconds"
    ]
    assert grace > pre_stop + int(config["SHUTDOWN_DRAIN_S"]) + int(config["SHUTDOWN_TIMEOUT_S"])
    strategy = one(objects, "Deployment", "kinetria-api")["spec"]["strategy"]
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migration_job_runs_dbmate_before_the_rollout(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    job = one(rendered[overlay], "Job", "kinetria-migrate")
    spec = job["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["command"] == ["dbmate", "--wait", "up"]
    assert spec["restartPolicy"] == "Never"
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    assert int(job["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) < 0
    assert {v["name"] for v in container["env"]} == {"DATABASE_URL"}
    # the image runs dbmate against the migrations it ships, without writing a schema dump
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "DBMATE_MIGRATIONS_DIR=/app/db/migrations" in dockerfile
    assert "DBMATE_NO_DUMP_SCHEMA=true" in dockerfile
    # the API command is the image's entry point
    assert api_container(rendered[overlay])["command"] == ["kinetria", "serve"]


def test_the_base_leaves_a_place_for_the_worker() -> None:
    base = (ROOT / "deploy" / "k8s" / "base" / "kustomization.yaml").read_text()
    assert "worker" in base
    listed = re.findall(r"^  - (\S+\.yaml)$", base, re.MULTILINE)
    for name in listed:
        assert (Path(ROOT / "deploy" / "k8s" / "base" / name)).exists()
    on_disk = {p.name for p in (ROOT / "deploy" / "k8s" / "base").glob("*.yaml")}
    assert on_disk - {"kustomization.yaml"} == set(listed)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_migration_can_be_applied_alone_first(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    """`kubectl apply -l 'app.kubernetes.io/component!=api'` (README, "Deployment") applies
    what the Job needs and no API object; the API objects all carry the label."""

    def component(obj: dict[str, Any]) -> str | None:
        return obj["metadata"].get("labels", {}).get("app.kubernetes.io/component")

    first = {(o["kind"], o["metadata"]["name"]) for o in rendered[overlay] if component(o) != "api"}
    job = one(rendered[overlay], "Job", "kinetria-migrate")
    spec = job["spec"]["template"]["spec"]
    assert ("ServiceAccount", spec["serviceAccountName"]) in first
    assert ("ConfigMap", "kinetria-config") in first
    assert ("NetworkPolicy", "kinetria-migrate") in first
    assert ("Job", "kinetria-migrate") in first
    api = {(o["kind"], o["metadata"]["name"]) for o in rendered[overlay] if component(o) == "api"}
    assert api == {
        ("Deployment", "kinetria-api"),
        ("Service", "kinetria-api"),
        ("HorizontalPodAutoscaler", "kinetria-api"),
        ("PodDisruptionBudget", "kinetria-api"),
        ("NetworkPolicy", "kinetria-api"),
    }

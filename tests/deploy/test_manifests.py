"""deploy/compose.yaml and deploy/k8s/ (issue 9, item 14).  Docker and a cluster are not
available here, so the files are parsed and checked: the Kubernetes manifests against the
Kubernetes OpenAPI schemas bundled in `kubernetes-validate` (strict: unknown fields fail), the
compose file by structure.  Environment names are checked against Edge's own settings, so a
misspelt `EDGE_*` variable (silently ignored at run time) fails here."""

from __future__ import annotations

import copy
import re
from dataclasses import fields
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from edge.server.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
#: Oldest and newest Kubernetes versions whose schemas the validator ships.
K8S_VERSIONS = sorted(set(kubernetes_validate.utils.all_versions()),
                      key=lambda v: tuple(int(x) for x in v.split(".")))
EDGE_VARIABLES = {f"EDGE_{f.name.upper()}" for f in fields(Settings) if f.name != "focus_factory"}
#: Variables read by something other than Settings: the vision registry and the AWS SDK.
OTHER_VARIABLES = {"EDGE_MODELS_DIR", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}
PINNED = re.compile(r"^[\w./-]+:(?!latest$)[\w.-]*\d[\w.-]*$")


def _documents() -> dict[str, dict]:
    docs = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            docs[doc["kind"]] = doc
    return docs


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _check_variables(names) -> None:
    unknown = set(names) - EDGE_VARIABLES - OTHER_VARIABLES
    assert not unknown, f"variables no part of Edge reads: {sorted(unknown)}"


# ---- Kubernetes ------------------------------------------------------------------------------
@pytest.mark.parametrize("version", [K8S_VERSIONS[0], K8S_VERSIONS[-1]])
def test_k8s_manifests_validate_strictly(version: str) -> None:
    docs = _documents()
    assert set(docs) == {"Kustomization", "ConfigMap", "Secret", "Deployment", "Service",
                         "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    for kind, doc in docs.items():
        if kind != "Kustomization":  # kustomize's own file has no Kubernetes schema
            kubernetes_validate.validate(doc, version, strict=True)


def test_validator_catches_a_misspelt_field() -> None:
    """The check above can fail: a typo in a probe field is refused."""
    bad = copy.deepcopy(_documents()["Deployment"])
    container = bad["spec"]["template"]["spec"]["containers"][0]
    container["livenesProbe"] = container.pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSIONS[-1], strict=True)


def test_kustomization_lists_every_manifest() -> None:
    listed = set(_documents()["Kustomization"]["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_k8s_wiring() -> None:
    docs = _documents()
    dep, svc, hpa, pdb = (docs[k] for k in ("Deployment", "Service", "HorizontalPodAutoscaler",
                                            "PodDisruptionBudget"))
    pod = dep["spec"]["template"]
    labels = pod["metadata"]["labels"]
    for selector in (dep["spec"]["selector"]["matchLabels"], svc["spec"]["selector"],
                     pdb["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= labels.items()
    (container,) = pod["spec"]["containers"]
    assert PINNED.match(container["image"]), container["image"]
    port = {p["name"]: p["containerPort"] for p in container["ports"]}["http"]
    assert port == 8080 and svc["spec"]["ports"][0]["targetPort"] in ("http", 8080)
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    # HPA on CPU needs a CPU request; it scales this Deployment.
    assert container["resources"]["requests"]["cpu"]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": dep["metadata"]["name"]}
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert hpa["spec"]["minReplicas"] > pdb["spec"]["minAvailable"]  # a drain can proceed
    # Settings come from the ConfigMap and the Secret, both required.
    refs = {next(iter(k for k in e if k.endswith("Ref"))): e for e in container["envFrom"]}
    assert refs["configMapRef"]["configMapRef"]["name"] == docs["ConfigMap"]["metadata"]["name"]
    assert refs["secretRef"]["secretRef"]["name"] == docs["Secret"]["metadata"]["name"]
    assert refs["secretRef"]["secretRef"].get("optional") is not True
    assert "EDGE_API_SECRET" in docs["Secret"]["stringData"]
    _check_variables([*docs["ConfigMap"]["data"], *docs["Secret"]["stringData"]])
    # One worker per CPU of the limit; render threads follow the cgroup quota.
    limit = float(container["resources"]["limits"]["cpu"])
    assert int(docs["ConfigMap"]["data"]["EDGE_WORKERS"]) <= limit
    # Renders may take EDGE_RENDER_TIMEOUT_S (30 s): the grace period covers one.
    assert pod["spec"]["terminationGracePeriodSeconds"] > Settings().render_timeout_s


# ---- compose ---------------------------------------------------------------------------------
def test_compose_images_pinned_and_built_from_the_repo() -> None:
    services = _compose()["services"]
    assert set(services) == {"seaweedfs", "s3-init", "edge", "nginx"}
    for name, service in services.items():
        assert PINNED.match(service["image"]), f"{name}: unpinned image {service['image']}"
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert context == REPO and (context / service["build"]["dockerfile"]).is_file()
    k8s_image = _documents()["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert services["edge"]["image"] == k8s_image


def test_compose_secret_fails_closed() -> None:
    """`${VAR:?message}` makes compose refuse to start when the variable is unset or empty;
    no service carries a default secret."""
    text = (DEPLOY / "compose.yaml").read_text()
    edge = _compose()["services"]["edge"]["environment"]
    assert re.fullmatch(r"\$\{EDGE_API_SECRET:\?[^}]+\}", edge["EDGE_API_SECRET"])
    assert not re.search(r"\$\{EDGE_API_SECRET:?-", text)  # no fallback value anywhere
    assert "change-me" not in text


def test_compose_health_and_order() -> None:
    services = _compose()["services"]
    for name in ("seaweedfs", "edge", "nginx"):
        assert services[name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(services["edge"]["healthcheck"]["test"])
    assert services["edge"]["depends_on"] == {
        "seaweedfs": {"condition": "service_healthy"},
        "s3-init": {"condition": "service_completed_successfully"}}
    assert services["s3-init"]["depends_on"] == {"seaweedfs": {"condition": "service_healthy"}}
    assert services["nginx"]["depends_on"] == {"edge": {"condition": "service_healthy"}}


def test_compose_bucket_creation_matches_edge() -> None:
    """s3-init runs deploy/s3_init.py (tested against SeaweedFS in test_image.py) with the
    same origin, cache and endpoint as Edge, so it creates exactly Edge's buckets."""
    services = _compose()["services"]
    init, edge = services["s3-init"], services["edge"]
    assert init["image"] == edge["image"]
    assert init["command"][:2] == ["python", "/app/deploy/s3_init.py"]
    for key in ("EDGE_ORIGIN", "EDGE_CACHE", "EDGE_S3_ENDPOINT"):
        assert init["environment"][key] == edge["environment"][key]
    host = edge["environment"]["EDGE_S3_ENDPOINT"].split("//")[1].split(":")[0]
    assert host in services and "-s3" in services[host]["command"]
    for service in (init, edge):
        _check_variables(service["environment"])


def test_compose_nginx_uses_the_tested_config() -> None:
    nginx = _compose()["services"]["nginx"]
    mount = next(v for v in nginx["volumes"] if v.endswith(":/etc/nginx/nginx.conf:ro"))
    conf = (DEPLOY / mount.split(":")[0]).resolve()
    assert conf == DEPLOY / "nginx.conf"
    # its upstream is the edge service on the image's port
    assert "server edge:8080;" in conf.read_text()

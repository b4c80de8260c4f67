"""The GitHub workflows (issue #15 item 6): schema-valid, every action pinned to a commit, every tracked file
triggers the workflow that tests it, the e2e and security suites run in one, and each Terraform root has a deploy
workflow that plans on pull requests and applies only on main through an assumed role.

Paths are matched the way GitHub filters them (`*` stops at `/`, `**` crosses it, `?` one character)."""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
# SchemaStore's github-workflow.json (Apache-2.0), as vendored by check-jsonschema 0.29.4.
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "github-workflow.json").read_text())
SERVICES = ("fraud", "routing", "payment", "chat", "webhooks", "rewards")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    if True in doc:  # YAML 1.1 reads the key `on` as the boolean true
        doc["on"] = doc.pop(True)
    return doc


@cache
def workflows() -> dict[str, dict]:
    return {p.name: load(p) for p in sorted(WORKFLOWS.glob("*.yml"))}


def glob_regex(pattern: str) -> re.Pattern:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def triggered(path: str, event: str) -> set[str]:
    """The workflows a change to `path` starts on `event` (push to main or pull_request)."""
    names = set()
    for name, doc in workflows().items():
        on = doc["on"].get(event) if isinstance(doc["on"], dict) else None
        if on is None:
            continue
        if "paths" not in on or any(glob_regex(p).match(path) for p in on["paths"]):
            names.add(name)
    return names


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line]


def steps(doc: dict):
    for job in doc["jobs"].values():
        yield from job.get("steps", [])


def test_the_glob_matches_as_github_does():
    assert glob_regex("services/*/VERSION").match("services/fraud/VERSION")
    assert not glob_regex("services/*/VERSION").match("services/fraud/x/VERSION")
    assert glob_regex("shared/**").match("shared/smartpay_shared/local/stack.py")
    assert not glob_regex("shared/**").match("sharedx/a.py")
    assert glob_regex(".ci/**").match(".ci/run") and not glob_regex("Makefile").match("Makefile.bak")


@pytest.mark.parametrize("name", sorted(p.name for p in WORKFLOWS.glob("*.yml")))
def test_every_workflow_is_schema_valid(name):
    jsonschema.validate(workflows()[name], SCHEMA)


def test_a_broken_workflow_fails_the_schema():
    broken = {**workflows()["fraud.yml"], "jobs": {"test": {"runs-on": "ubuntu-24.04", "stepz": []}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_every_action_is_pinned_to_a_commit():
    loose = [(name, s["uses"]) for name, doc in workflows().items() for s in steps(doc)
             if "uses" in s and not PINNED.match(s["uses"])]
    assert not loose, loose


def test_every_reusable_workflow_called_exists():
    called = {job["uses"] for doc in workflows().values() for job in doc["jobs"].values() if "uses" in job}
    assert called, "no reusable workflow is called"
    for ref in called:
        assert ref.startswith("./.github/workflows/") and (ROOT / ref).is_file(), ref


def test_every_make_target_a_workflow_runs_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = {s["run"].split()[1] for doc in workflows().values() for s in steps(doc)
               if s.get("run", "").startswith("make ") and "${{" not in s["run"]}
    targets |= {job["with"]["target"] for doc in workflows().values() for job in doc["jobs"].values()
                if job.get("uses", "").endswith("_make.yml")}
    assert targets
    for target in targets:
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M) or \
            (target.startswith("test-") and target[5:] in SERVICES), target


@pytest.mark.parametrize("event", ["push", "pull_request"])
def test_every_tracked_file_triggers_a_workflow(event):
    silent = [path for path in tracked_files() if not triggered(path, event)]
    assert not silent, silent[:20]


@pytest.mark.parametrize("path,expected", [
    ("Makefile", {"all.yml"}), ("scripts/bootstrap.sh", {"all.yml", "system.yml"}), ("pytest.ini", {"all.yml"}),
    ("conftest.py", {"all.yml"}), (".ci/run", {"all.yml"}),
    ("tests/e2e/test_payment_saga.py", {"system.yml"}), ("tests/security/test_contract.py", {"system.yml"}),
    ("tests/contract/test_environment_contract.py", {"system.yml"}),
    ("infra/terraform/modules/service/main.tf", {"infra.yml", "system.yml", "deploy-platform.yml",
                                                 *(f"deploy-{s}.yml" for s in SERVICES)}),
    ("infra/terraform/platform/main.tf", {"infra.yml", "system.yml", "deploy-platform.yml"}),
    *((f"services/{s}/manifest.json", {f"{s}.yml", f"deploy-{s}.yml", "infra.yml", "system.yml",
                                       "deploy-platform.yml"}) for s in SERVICES),
    *((f"infra/terraform/services/{s}/main.tf", {f"deploy-{s}.yml", "infra.yml", "system.yml"})
      for s in SERVICES),
])
def test_a_change_starts_the_workflows_that_test_and_deploy_it(path, expected):
    assert (ROOT / path).exists(), path
    for event in ("push", "pull_request"):
        assert triggered(path, event) == expected, (path, event)


@pytest.mark.parametrize("path", ["requirements/constraints.txt", "shared/pyproject.toml", "shared/VERSION"])
def test_what_goes_into_every_package_deploys_every_service(path):
    """make package pins every wheel by requirements/constraints.txt and installs smartpay-shared's dependencies
    (shared/pyproject.toml) under its VERSION: a change there changes every service's artifact."""
    assert (ROOT / path).exists(), path
    for event in ("push", "pull_request"):
        assert {f"deploy-{s}.yml" for s in SERVICES} <= triggered(path, event), (path, event)


def test_a_shared_library_change_tests_every_service():
    got = triggered("shared/smartpay_shared/events/envelope.py", "pull_request")
    assert {"shared.yml", "system.yml", *(f"{s}.yml" for s in SERVICES)} <= got


@pytest.mark.parametrize("root", ["platform", *(f"services/{s}" for s in SERVICES)])
def test_each_root_has_a_deploy_workflow_plan_on_pr_apply_on_main_by_assumed_role(root):
    name = f"deploy-{root.rsplit('/', 1)[-1]}.yml"
    doc = workflows()[name]
    assert set(doc["on"]) == {"push", "pull_request"} and doc["on"]["push"]["branches"] == ["main"]
    assert doc["permissions"]["id-token"] == "write"
    (job,) = doc["jobs"].values()
    assert job["uses"] == "./.github/workflows/_deploy.yml" and job["with"]["root"] == root
    assert (ROOT / "infra" / "terraform" / root).is_dir()

    deploy = workflows()["_deploy.yml"]
    runs = [s for s in steps(deploy)]
    creds = [s for s in runs if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert len(creds) == 1 and "role-to-assume" in creds[0]["with"]
    assert not any(k in creds[0]["with"] for k in ("aws-access-key-id", "aws-secret-access-key"))
    (apply,) = [s for s in runs if "terraform apply" in s.get("run", "") and "-target=" not in s["run"]]
    assert "github.event_name == 'push'" in apply["if"] and "refs/heads/main" in apply["if"]
    assert any("terraform plan" in s.get("run", "") and "-out=tfplan" in s["run"] for s in runs)
    assert "tfplan" in apply["run"]  # applies exactly the plan it showed
    assert any("-lockfile=readonly" in s.get("run", "") for s in runs)  # the committed lock file, unchanged


def test_no_workflow_holds_a_secret_or_a_static_key():
    text = "\n".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))
    assert not re.search(r"AKIA[0-9A-Z]{16}", text)
    assert "aws-secret-access-key" not in text


def test_every_run_script_is_valid_bash():
    """`bash -n` on every step's script, with each `${{ ... }}` expression as a plain word (GitHub substitutes
    them before the shell runs)."""
    broken = []
    for name, doc in workflows().items():
        for step in steps(doc):
            if "run" not in step:
                continue
            script = re.sub(r"\$\{\{.*?\}\}", "EXPR", step["run"])
            proc = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
            if proc.returncode != 0:
                broken.append((name, step.get("name"), proc.stderr))
    assert not broken, broken


def deploy_steps() -> list[dict]:
    return list(steps(workflows()["_deploy.yml"]))


def index_of(runs: list[dict], predicate) -> int:
    (i,) = [i for i, s in enumerate(runs) if predicate(s)]
    return i


MAIN_ONLY = ("github.event_name == 'push'", "refs/heads/main")
IMAGE_ONLY = "env.PACKAGE_TYPE == 'Image'"


def test_the_deploy_workflow_deploys_what_make_package_builds():
    runs = deploy_steps()
    text = "\n".join(s.get("run", "") for s in runs)
    assert "smartpay_shared.local.terraform zip" not in text  # the emulator's code-only zips never reach AWS
    package = runs[index_of(runs, lambda s: "make package" in s.get("run", ""))]
    assert 'make package SERVICE="$service"' in package["run"] and package["if"] == "inputs.root != 'platform'"
    makefile = (ROOT / "Makefile").read_text()
    assert "$(PY) -m smartpay_shared.local.packaging $(if $(SERVICE),$(SERVICE),--record)" in makefile
    # The package type is the manifest's, as for Terraform (the deploy passes no package_type).
    assert """jq -r '.lambda_package.package_type // "Zip"' "services/$service/manifest.json\"""" in package["run"]
    for service in SERVICES:  # ... and each root deploys the zip make package writes
        variables = (ROOT / "infra" / "terraform" / "services" / service / "variables.tf").read_text()
        assert f'default     = "../../../../.local/build/package/{service}.zip"' in variables, service
    variables_step = runs[index_of(runs, lambda s: "deploy.auto.tfvars.json" in s.get("run", ""))]
    assert variables_step["run"].count('target: "aws"') == 2  # platform and service roots: the AWS target


def test_image_services_push_their_image_before_the_plan_and_the_apply():
    runs = deploy_steps()
    package = index_of(runs, lambda s: "make package" in s.get("run", ""))
    init = index_of(runs, lambda s: "terraform init" in s.get("run", ""))
    repository = index_of(runs, lambda s: "-target=" in s.get("run", ""))
    login = index_of(runs, lambda s: s.get("uses", "").startswith("aws-actions/amazon-ecr-login@"))
    build = index_of(runs, lambda s: "docker build" in s.get("run", ""))
    push = index_of(runs, lambda s: "docker push" in s.get("run", ""))
    plan = index_of(runs, lambda s: "terraform plan" in s.get("run", ""))
    apply = index_of(runs, lambda s: "terraform apply" in s.get("run", "") and "-target=" not in s["run"])
    assert package < init < repository < login < build < push < plan < apply
    # Only Image services build; only main creates the repository, logs in and pushes (a pull request plans).
    assert IMAGE_ONLY in runs[build]["if"] and not any(m in runs[build]["if"] for m in MAIN_ONLY)
    for i in (repository, login, push):
        assert IMAGE_ONLY in runs[i]["if"] and all(m in runs[i]["if"] for m in MAIN_ONLY), runs[i]
    # The targeted apply creates exactly the repository and its two policies, as modules/service/image.tf names them,
    # in the module every service root calls `service`.
    targets = re.findall(r"-target=(\S+)", runs[repository]["run"])
    assert sorted(targets) == ["module.service.aws_ecr_lifecycle_policy.image",
                               "module.service.aws_ecr_repository.image",
                               "module.service.aws_ecr_repository_policy.image"]
    image_tf = (ROOT / "infra" / "terraform" / "modules" / "service" / "image.tf").read_text()
    for target in targets:
        kind, name = target.split(".")[2:]
        assert f'resource "{kind}" "{name}"' in image_tf, target
    for service in SERVICES:
        assert 'module "service" {' in (ROOT / "infra" / "terraform" / "services" / service / "main.tf").read_text()
    # The tag: the sha256 of the zip, which is what Terraform computes (image.tf: zip_sha256 of lambda_zip_path).
    assert 'sha256sum ".local/build/package/$service.zip"' in runs[package]["run"]
    assert re.search(r'image_tag\s+= var.image_tag != "" \? var.image_tag : local.zip_sha256\n', image_tf)
    artifact_tf = (ROOT / "infra" / "terraform" / "modules" / "service" / "artifact.tf").read_text()
    assert "zip_sha256 = fileexists(var.lambda_zip_path) ? filesha256(var.lambda_zip_path) : \"\"" in artifact_tf
    # Built from the zip's own content (the Dockerfile is in it), one platform, no attestation manifests.
    assert "CONTEXT=.local/build/package/$service/package" in runs[package]["run"]
    build_run = runs[build]["run"]
    assert '"$CONTEXT"' in build_run and "--platform linux/amd64" in build_run and "--provenance=false" in build_run
    assert '-t "smartpay-$SERVICE:$IMAGE_TAG"' in build_run
    assert 'docker push "$REPOSITORY_URL:$IMAGE_TAG"' in runs[push]["run"]
    assert 'imageTag="$IMAGE_TAG"' in runs[push]["run"]  # an immutable tag already there is not pushed again
    assert "REPOSITORY_URL=" in runs[repository]["run"]
    # The same assumed role (the one credentials step) runs every AWS call; it comes before any of them.
    creds = index_of(runs, lambda s: s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert creds < repository and creds < login


def test_the_image_tag_is_the_hash_of_a_zip_that_holds_the_dockerfile():
    """The Dockerfile is written into the package, so a change to it changes the zip, so the tag."""
    from smartpay_shared.local import packaging

    source = (ROOT / "shared" / "smartpay_shared" / "local" / "packaging.py").read_text()
    assert '(target / "Dockerfile").write_text(dockerfile(manifest))' in source
    assert source.index('(target / "Dockerfile")') < source.index("write_zip(target, zip_path)")
    from smartpay_shared.manifest import all_manifests

    text = packaging.dockerfile(all_manifests()["fraud"])
    assert "COPY . /var/task/" in text  # the context is the unpacked zip

"""The AWS target's Image path (issue #15 item 3), applied on a moto server of our own: the local target deploys
every service as a Zip (local.tfvars, docs/terraform.md "What is off locally"), so this is where the Image HCL
meets a real provider and an API. The fraud root with its manifest's package type (Image), immutable releases on,
applied as the deploy workflow does on main (.github/workflows/_deploy.yml): first its -target= list alone (the
repository and its two policies, no function; the repository URL read from the state with the workflow's jq), then
the whole root:

- an ECR repository of its own: immutable tags, scan on push, the platform key, a lifecycle policy that expires
  untagged images only (any tag may be what a live alias runs), and a repository policy letting Lambda pull it for
  fraud's functions only (aws:SourceArn, checked against the ARNs of the functions deployed);
- every fraud function is an Image running <repository>:<sha256 of the service's zip> (the tag `make package`'s
  zip gives the image; here the orchestrator's zip stands for it), without handler, runtime or layers; each names its
  handler as image_config.command (the worker's is the image's CMD, written out);
- each role may pull (BatchGetImage, GetDownloadUrlForLayer) from that repository and no other;
- the alias names the image; nothing is put in the artifact bucket for fraud;
- a re-plan right after the apply is clean, and destroy removes the repository.

moto stubs ECR for Lambda (MOTO_LAMBDA_STUB_ECR, on by default): it accepts an image URI without an image pushed.
No image is built or pushed here (no Docker engine on this machine kind), and nothing runs it."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest

from smartpay_shared.local import terraform

pytestmark = pytest.mark.integration

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parents[2]
AS_ON_AWS = {"fraud": {"package_type": "Image", "immutable_releases": True}}  # the manifest's; local.tfvars says Zip


@pytest.fixture(scope="module")
def aws(endpoint):
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    return lambda service: session.client(service, endpoint_url=endpoint)


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tf-images")


DEPLOY = (ROOT / ".github" / "workflows" / "_deploy.yml").read_text()
# The deploy workflow's targeted apply (its -target= addresses) and how it reads the repository URL back (its jq).
WORKFLOW_TARGETS = re.findall(r"-target=(\S+)", DEPLOY)
WORKFLOW_JQ = re.search(r"terraform state pull \| jq -r '(.*?)'\)", DEPLOY, re.S).group(1)


@pytest.fixture(scope="module")
def first_deploy(endpoint, state_dir, request) -> dict[str, Any]:
    """What the deploy workflow does on main before it pushes: the platform exists, then the fraud root is applied
    with the workflow's -target= list only, and the repository URL is read from the state with the workflow's jq."""
    live = request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled
    stack = terraform._Stack(endpoint, state_dir, ["fraud"], None, AS_ON_AWS)
    platform, fraud = stack.platform, stack.services[0]
    with live():
        for root in (platform, fraud):
            stack.init(root)
            stack.write_vars(root, endpoint)
        stack.run(platform, "apply", "-auto-approve", "-input=false", "-no-color", *stack.var_args(platform))
        stack.run(fraud, "apply", "-auto-approve", "-input=false", "-no-color", *stack.var_args(fraud),
                  *(f"-target={t}" for t in WORKFLOW_TARGETS))
    env = {**stack.env, "TF_DATA_DIR": str(fraud.dir / ".terraform")}
    pulled = subprocess.run([stack.env["SMARTPAY_TERRAFORM"], f"-chdir={fraud.path}", "state", "pull"], env=env,
                            check=True, capture_output=True, text=True).stdout
    url = subprocess.run(["jq", "-r", WORKFLOW_JQ], input=pulled, check=True, capture_output=True, text=True).stdout
    return {"state": json.loads(pulled), "repository_url": url.strip()}


@pytest.fixture(scope="module")
def applied(first_deploy, endpoint, state_dir, request) -> dict[str, Any]:
    live = request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled
    with live():
        return terraform.apply_stack(endpoint, state_dir, services=["fraud"], variables=AS_ON_AWS)


def test_the_workflows_targeted_apply_creates_the_repository_and_its_policies_only(first_deploy, aws):
    managed = sorted(f"{r['module']}.{r['type']}.{r['name']}" for r in first_deploy["state"]["resources"]
                     if r["mode"] == "managed")
    assert managed == sorted(WORKFLOW_TARGETS) == ["module.service.aws_ecr_lifecycle_policy.image",
                                                   "module.service.aws_ecr_repository.image",
                                                   "module.service.aws_ecr_repository_policy.image"]
    (name,) = [r["instances"][0]["attributes"]["name"] for r in first_deploy["state"]["resources"]
               if r["type"] == "aws_ecr_repository"]
    assert name.endswith("-fraud"), name
    (repository,) = aws("ecr").describe_repositories(repositoryNames=[name])["repositories"]
    assert first_deploy["repository_url"] == repository["repositoryUri"]  # where the workflow pushes
    assert not [f for f in aws("lambda").list_functions()["Functions"] if f["FunctionName"].startswith(f"{name}-")]


def test_the_full_apply_runs_the_image_from_the_repository_the_workflow_pushed_to(first_deploy, applied):
    artifact = applied["services"]["fraud"]["artifact"]
    assert artifact["image_uri"] == f"{first_deploy['repository_url']}:{artifact['image_tag']}"


def test_the_fraud_repository_is_immutable_scanned_encrypted_and_pruned(applied, aws):
    fraud, platform = applied["services"]["fraud"], applied["platform"]
    repository = fraud["artifact"]["repository"]
    described = aws("ecr").describe_repositories(repositoryNames=[repository["name"]])["repositories"][0]
    assert described["repositoryArn"] == repository["arn"]
    assert described["imageTagMutability"] == "IMMUTABLE"
    assert described["imageScanningConfiguration"] == {"scanOnPush": True}
    assert described["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": platform["kms_key_arn"]}
    policy = json.loads(aws("ecr").get_lifecycle_policy(repositoryName=repository["name"])["lifecyclePolicyText"])
    (rule,) = policy["rules"]
    assert rule["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                                 "countNumber": 1}
    assert rule["action"] == {"type": "expire"}


def test_lambda_may_pull_the_image_for_the_fraud_functions_only(applied, aws):
    fraud = applied["services"]["fraud"]
    name = fraud["artifact"]["repository"]["name"]
    policy = json.loads(aws("ecr").get_repository_policy(repositoryName=name)["policyText"])
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Allow" and statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert sorted(statement["Action"]) == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    (operator,) = statement["Condition"]
    assert operator == "ArnLike"
    patterns = statement["Condition"]["ArnLike"]["aws:SourceArn"]

    def allowed(arn: str) -> bool:
        return any(fnmatch.fnmatchcase(arn, pattern) for pattern in patterns)

    # The ARNs as Lambda reports them (not as the HCL builds them): each function, and its alias.
    for kind, fn in fraud["functions"].items():
        config = aws("lambda").get_function(FunctionName=fn["name"])["Configuration"]
        alias = aws("lambda").get_alias(FunctionName=fn["name"], Name=fn["alias"])
        assert allowed(config["FunctionArn"]) and allowed(alias["AliasArn"]), (kind, patterns)
        account, region = config["FunctionArn"].split(":")[4], config["FunctionArn"].split(":")[3]
    base = fraud["functions"]["worker"]["name"].removesuffix("-worker")  # <prefix>-fraud
    prefix = base.removesuffix("-fraud")
    for other in (f"{prefix}-routing-worker", f"{base}x-worker", f"{base}-worker2", base, f"{base}-api-x"):
        assert not allowed(f"arn:aws:lambda:{region}:{account}:function:{other}"), other
    assert not allowed(config["FunctionArn"].replace(f":{account}:", ":000000000000:"))  # another account's


def test_every_fraud_function_runs_the_image(applied, aws):
    fraud = applied["services"]["fraud"]
    artifact = fraud["artifact"]
    assert artifact["package_type"] == "Image"
    assert artifact["image_tag"] == artifact["sha256"]  # the zip's sha256 names the image
    assert artifact["image_uri"] == f"{artifact['repository']['url']}:{artifact['sha256']}"
    assert set(fraud["functions"]) == {"worker", "api"}
    for kind, fn in fraud["functions"].items():
        got = aws("lambda").get_function(FunctionName=fn["name"], Qualifier=fn["alias"])
        config = got["Configuration"]
        assert config["PackageType"] == "Image", kind
        assert got["Code"]["ImageUri"] == artifact["image_uri"], kind
        assert not config.get("Handler") and not config.get("Runtime") and not config.get("Layers"), (kind, config)
        command = config.get("ImageConfigResponse", {}).get("ImageConfig", {}).get("Command")
        # Each its own handler (the worker's is the image's CMD, written out: docs/terraform.md, "What Terraform deploys").
        assert command == [fn["handler"]], (kind, command)
        alias = aws("lambda").get_alias(FunctionName=fn["name"], Name=fn["alias"])
        assert alias["Description"] == f"{fn['alias']} image {artifact['image_uri']}"


def test_each_role_pulls_from_the_fraud_repository_only(applied, aws):
    fraud = applied["services"]["fraud"]
    repository_arn = fraud["artifact"]["repository"]["arn"]
    for kind, fn in fraud["functions"].items():
        role = fn["role_arn"].rsplit("/", 1)[1]
        document = aws("iam").get_role_policy(RoleName=role, PolicyName="least-privilege")["PolicyDocument"]
        statements = document["Statement"] if isinstance(document, dict) else json.loads(document)["Statement"]
        ecr = [s for s in statements if any(str(a).startswith("ecr:") for a in s["Action"])]
        assert ecr == [{"Sid": "PullOwnImage", "Effect": "Allow",
                        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                        "Resource": [repository_arn]}], (kind, ecr)


def test_no_fraud_zip_goes_to_the_artifact_bucket(applied, aws):
    fraud, platform = applied["services"]["fraud"], applied["platform"]
    assert fraud["artifact"]["bucket"] is None and fraud["artifact"]["key"] is None
    listed = aws("s3").list_objects_v2(Bucket=platform["artifact_bucket"], Prefix="fraud/")
    assert listed.get("KeyCount", 0) == 0, listed.get("Contents")


def test_replan_is_clean_and_destroy_removes_the_repository(applied, endpoint, state_dir, aws, request):
    live = request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled
    name = applied["services"]["fraud"]["artifact"]["repository"]["name"]
    with live():
        assert terraform.plan_is_clean(endpoint, state_dir, services=["fraud"], variables=AS_ON_AWS)
        terraform.destroy_stack(endpoint, state_dir, services=["fraud"])
    assert name not in [r["repositoryName"] for r in aws("ecr").describe_repositories()["repositories"]]

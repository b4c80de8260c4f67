"""The real thing: platform + all service roots applied through smartpay_shared.local.terraform to a
moto server of our own (the session's `applied_stack`, conftest.py), checked through boto3, events routed by
the rules the manifests declare, archive replays kept away from service queues, a clean re-plan, and a
destroy (the session's last test). Tests run in order."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from smartpay_shared.local import terraform
from smartpay_shared.testing.queues import drain

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


def _manifests() -> dict[str, dict[str, Any]]:
    return {name: json.loads((REPO_ROOT / "services" / name / "manifest.json").read_text())
            for name in terraform.SERVICES}


def _producers(event_type: str) -> list[str]:
    """The sources a rule accepts event_type from: the services whose manifest emits it."""
    return sorted(f"smartpay.{m['service']}" for m in _manifests().values() if event_type in m["emits"])


def _version(service: str) -> str:
    return (REPO_ROOT / "services" / service / "VERSION").read_text().strip()


def _matches(pattern: Any, value: Any) -> bool:
    """The subset of EventBridge matching the manifests use: nested objects and literal lists."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and _matches(p, value[k]) for k, p in pattern.items())
    if isinstance(pattern, list):
        if any(isinstance(p, dict) for p in pattern):
            raise NotImplementedError(f"content filter {pattern} not modelled by this test")
        return value in pattern
    raise NotImplementedError(f"pattern {pattern!r}")


@pytest.fixture(scope="module")
def endpoint(applied_stack):
    return applied_stack.endpoint


@pytest.fixture(scope="module")
def aws(endpoint):
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    return lambda service: session.client(service, endpoint_url=endpoint)


@pytest.fixture(scope="module")
def state_dir(applied_stack):
    return applied_stack.state_dir


@pytest.fixture(scope="module")
def live_output(request):
    """Terraform's own output goes straight to the terminal, also without -s: the run shows the real apply."""
    return request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled


@pytest.fixture(scope="module")
def stack(applied_stack):
    """The session's applied stack (conftest.py), shared with test_identity_and_producers.py; destroyed last."""
    return applied_stack.outputs


def test_outputs_follow_the_naming_contract(stack, state_dir):
    platform = stack["platform"]
    assert platform["bus_name"] == "smartpay-bus"
    assert platform["archive_name"] == "smartpay-bus-archive"
    for key in ("bus_arn", "archive_arn", "user_pool_id", "user_pool_client_id", "api_id", "api_authorizer_id"):
        assert platform[key], key
    for name, manifest in _manifests().items():
        out = stack["services"][name]
        assert out["queue_name"] == f"smartpay-{name}" and out["dlq_name"] == f"smartpay-{name}-dlq"
        assert out["alias_name"] == "v" + _version(name).replace(".", "_")
        assert "idempotency" not in out["tables"], "no Powertools idempotency table: nothing uses one"
        expected_rules = {s["event_type"]: f"smartpay-{name}-" + s["event_type"].replace(".", "-").replace("_", "-")
                          for s in manifest["subscriptions"]}
        assert out["rule_names"] == expected_rules
        assert out["event_source_mapping_uuids"] == []
        assert (state_dir / name / "terraform.tfstate").is_file(), "one state per root"
    assert (state_dir / "platform" / "terraform.tfstate").is_file()


def test_bus_and_archive(stack, aws):
    events = aws("events")
    bus = events.describe_event_bus(Name="smartpay-bus")
    archive = events.describe_archive(ArchiveName="smartpay-bus-archive")
    assert archive["EventSourceArn"] == bus["Arn"] == stack["platform"]["bus_arn"]
    assert archive["RetentionDays"] == 1


def test_queues_redrive_and_policy(stack, aws):
    sqs = aws("sqs")
    for name, out in stack["services"].items():
        attrs = sqs.get_queue_attributes(QueueUrl=out["queue_url"], AttributeNames=["All"])["Attributes"]
        assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": out["dlq_arn"], "maxReceiveCount": 3}
        assert attrs["VisibilityTimeout"] == "5"
        policy = json.loads(attrs["Policy"])
        statement = policy["Statement"][0]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Resource"] == attrs["QueueArn"] == out["queue_arn"]  # derived before the queue existed
        assert sorted(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(
            r["arn"] for r in out["rules"].values())


def test_rules_carry_the_manifest_patterns(stack, aws):
    events = aws("events")
    for name, manifest in _manifests().items():
        out = stack["services"][name]
        for sub in manifest["subscriptions"]:
            rule = events.describe_rule(Name=out["rule_names"][sub["event_type"]], EventBusName="smartpay-bus")
            expected = {"source": _producers(sub["event_type"]), "detail-type": [sub["event_type"]],
                        "replay-name": [{"exists": False}]}
            if "detail_filter" in sub:
                expected["detail"] = sub["detail_filter"]
            assert json.loads(rule["EventPattern"]) == expected
            targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName="smartpay-bus")["Targets"]
            assert [t["Arn"] for t in targets] == [out["queue_arn"]]


def test_user_pool_client_group_and_merchant_claim(stack, aws):
    idp = aws("cognito-idp")
    pool_id, client_id = stack["platform"]["user_pool_id"], stack["platform"]["user_pool_client_id"]
    schema = {a["Name"]: a for a in idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["SchemaAttributes"]}
    assert schema["custom:merchant_id"]["AttributeDataType"] == "String"
    assert "admin" in [g["GroupName"] for g in idp.list_groups(UserPoolId=pool_id)["Groups"]]
    client = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert "ClientSecret" not in client
    # The contract the API relies on: the attribute comes back as custom:merchant_id in the ID token, and
    # the operator's group merchant:<id> (a valid Cognito group name) as cognito:groups, which confirms it.
    idp.admin_create_user(UserPoolId=pool_id, Username="merchant-1",
                          UserAttributes=[{"Name": "custom:merchant_id", "Value": "m_123"}], MessageAction="SUPPRESS")
    # With a symbol although the pool does not require one: under hashicorp/aws 5.x moto refuses one without
    # (moto takes a missing RequireSymbols as true; the provider most likely leaves `false` out).
    idp.admin_set_user_password(UserPoolId=pool_id, Username="merchant-1", Password="Sup3r-SecretPass", Permanent=True)
    idp.create_group(UserPoolId=pool_id, GroupName="merchant:m_123")
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="merchant-1", GroupName="merchant:m_123")
    tokens = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "merchant-1", "PASSWORD": "Sup3r-SecretPass"})
    payload = tokens["AuthenticationResult"]["IdToken"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["custom:merchant_id"] == "m_123" and claims["cognito:groups"] == ["merchant:m_123"]


def test_tables(stack, aws):
    """Exactly the tables the code reads (issue #15 item 4: the four Powertools idempotency tables went, nothing
    used them), and no stream on the payments table (nothing read it: the sweeper scans)."""
    ddb = aws("dynamodb")
    expected = {"smartpay-payments": ("payment_id", None, None),
                "smartpay-payment-idempotency-keys": ("idempotency_key", None, "expires_at"),
                "smartpay-chat-sessions": ("session_id", "turn", "expires_at"),
                "smartpay-webhook-endpoints": ("merchant_id", "endpoint_id", None),
                "smartpay-webhook-deliveries": ("endpoint_id", "delivery_id", "expires_at"),
                "smartpay-rewards-ledger": ("account_key", "entry_id", None),
                "smartpay-rewards-accounts": ("pk", "sk", None),
                "smartpay-rewards-challenges": ("merchant_id", "nonce", "expires_at"),
                "smartpay-rewards-mint-journal": ("batch_id", None, None),
                "smartpay-rewards-offer-decisions": ("pk", "sk", None)}
    assert sorted(ddb.list_tables()["TableNames"]) == sorted(expected)
    for table, (hash_key, range_key, ttl) in expected.items():
        desc = ddb.describe_table(TableName=table)["Table"]
        keys = {k["KeyType"]: k["AttributeName"] for k in desc["KeySchema"]}
        assert (keys["HASH"], keys.get("RANGE")) == (hash_key, range_key), table
        assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        ttl_desc = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        if ttl:
            assert (ttl_desc["TimeToLiveStatus"], ttl_desc["AttributeName"]) == ("ENABLED", ttl), table
    # The rewards history reads through a local index (strongly consistent with the balance item).
    (by_seq,) = ddb.describe_table(TableName="smartpay-rewards-ledger")["Table"]["LocalSecondaryIndexes"]
    assert by_seq["IndexName"] == "by_seq" and [k["AttributeName"] for k in by_seq["KeySchema"]] == ["account_key", "seq"]
    payments = ddb.describe_table(TableName="smartpay-payments")["Table"]
    assert not payments.get("StreamSpecification", {}).get("StreamEnabled", False) and "LatestStreamArn" not in payments
    # local.tfvars: no point-in-time recovery on an emulator (tests/infra/test_releases.py: on for AWS)
    backups = ddb.describe_continuous_backups(TableName="smartpay-payments")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


def test_buckets(stack, aws):
    s3 = aws("s3")
    buckets = {**stack["services"]["fraud"]["buckets"], **stack["services"]["routing"]["buckets"]}
    assert buckets == {"model_registry": "smartpay-fraud-models", "checkpoints": "smartpay-routing-checkpoints"}
    for bucket in buckets.values():
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values())


def test_buckets_use_the_split_s3_resources(stack, aws):
    """Versioning and SSE-KMS with the platform key, each its own 5.x resource; the lifecycle rules are off
    locally (local.tfvars `bucket_lifecycle`; test_releases.py applies them as on AWS)."""
    s3 = aws("s3")
    for bucket in ("smartpay-fraud-models", "smartpay-routing-checkpoints", stack["platform"]["artifact_bucket"]):
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": stack["platform"]["kms_key_arn"]}
        with pytest.raises(s3.exceptions.ClientError, match="NoSuchLifecycleConfiguration"):
            s3.get_bucket_lifecycle_configuration(Bucket=bucket)
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


def test_every_function_deploys_its_services_artifact_named_after_its_sha256(stack, aws):
    """Issue #15 item 5: one object per content in the platform's artifact bucket, <service>/<sha256>.zip, and
    every function of the service runs exactly those bytes."""
    s3, lam = aws("s3"), aws("lambda")
    bucket = stack["platform"]["artifact_bucket"]
    assert bucket == "smartpay-lambda-artifacts"
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted(out["artifact"]["key"] for out in stack["services"].values())
    for name, out in stack["services"].items():
        artifact = out["artifact"]
        assert artifact["bucket"] == bucket and artifact["key"] == f"{name}/{artifact['sha256']}.zip"
        body = s3.get_object(Bucket=bucket, Key=artifact["key"])["Body"].read()
        assert hashlib.sha256(body).hexdigest() == artifact["sha256"]
        for fn in out["functions"].values():
            served = lam.get_function(FunctionName=fn["name"], Qualifier=out["alias_name"])["Configuration"]
            assert served["CodeSha256"] == base64.b64encode(hashlib.sha256(body).digest()).decode() == fn["code_sha256"]


def test_lambdas_aliases_and_least_privilege(stack, aws):
    lam, iam = aws("lambda"), aws("iam")
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []
    for name, out in stack["services"].items():
        for kind, fn in out["functions"].items():
            alias = lam.get_alias(FunctionName=fn["name"], Name=out["alias_name"])
            assert alias["FunctionVersion"] == "1"
            config = lam.get_function_configuration(FunctionName=fn["name"])
            assert config["Runtime"] == "python3.11" and config["Handler"] == fn["handler"]
            # The alias names the code it serves, in Lambda's own CodeSha256 form.
            served = lam.get_function(FunctionName=fn["name"], Qualifier=out["alias_name"])["Configuration"]
            assert alias["Description"] == f"{out['alias_name']} code sha256 {served['CodeSha256']}"
            assert served["CodeSha256"] == fn["code_sha256"]
        role = out["functions"]["worker"]["role_arn"].rsplit("/", 1)[1]
        doc = iam.get_role_policy(RoleName=role, PolicyName="least-privilege")["PolicyDocument"]
        doc = json.loads(doc) if isinstance(doc, str) else doc
        by_sid = {s["Sid"]: s for s in doc["Statement"]}
        emits = sorted(set(_manifests()[name]["emits"]))
        if emits:
            assert by_sid["PublishAsOwnSource"]["Condition"] == {"StringEquals": {
                "events:source": f"smartpay.{name}", "events:detail-type": emits}}
        else:  # a service that emits nothing (webhooks) may put nothing on the bus
            assert "PublishAsOwnSource" not in by_sid and not any("events:PutEvents" in str(s["Action"])
                                                                  for s in doc["Statement"])
        assert by_sid["ConsumeOwnQueue"]["Resource"] in ([out["queue_arn"]], out["queue_arn"])


def test_the_sweeper_runs_on_its_schedule(stack, aws):
    """Issue #15 item 4: the payment sweeper (saga deadlines, pending refunds, unsent outbox events) is deployed
    as its own function, invoked through its alias by an EventBridge schedule (moto stores the schedule but
    never fires it: locally the `sweeper` loop stands in, with this function's environment)."""
    lam, events = aws("lambda"), aws("events")
    payment = stack["services"]["payment"]
    sweeper = payment["functions"]["sweeper"]
    assert sweeper["name"] == "smartpay-payment-sweeper"
    assert sweeper["handler"] == "smartpay_payment.entrypoints.sweeper.lambda_handler"
    rule = events.describe_rule(Name=sweeper["schedule_rule"])
    assert (rule["ScheduleExpression"], rule["State"], rule["EventBusName"]) == ("rate(1 minute)", "ENABLED", "default")
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]] == [sweeper["alias_arn"]]
    policy = json.loads(lam.get_policy(FunctionName=sweeper["name"], Qualifier=sweeper["alias"])["Policy"])
    (statement,) = [s for s in policy["Statement"] if s["Sid"] == f"schedule-{sweeper['alias']}"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]
    assert lam.get_function_configuration(FunctionName=sweeper["name"])["Environment"]["Variables"] == \
        payment["environments"]["worker"], "the sweeper reads what the worker reads"
    # the schedules on the default bus: the manifests' scheduled functions (payment's sweeper, webhooks'
    # deliverer, rewards' minter)
    deliverer = stack["services"]["webhooks"]["functions"]["deliverer"]
    assert deliverer["handler"] == "smartpay_webhooks.entrypoints.deliverer.lambda_handler"
    minter = stack["services"]["rewards"]["functions"]["minter"]
    assert minter["handler"] == "smartpay_rewards.entrypoints.mint_run.lambda_handler"
    assert sorted(r["Name"] for r in events.list_rules()["Rules"]) == sorted(
        [sweeper["schedule_rule"], deliverer["schedule_rule"], minter["schedule_rule"]])


def test_each_function_is_capped_at_its_manifests_concurrency(stack, aws):
    """The worker's reserved concurrency is the manifest's max_concurrency, the API function's its
    api_max_concurrency (what the local worker and gateway read back from the emulator and run)."""
    lam = aws("lambda")
    for name, out in stack["services"].items():
        worker = out["functions"]["worker"]
        wanted = _manifests()[name]["max_concurrency"]
        assert worker["reserved_concurrency"] == wanted, name
        assert worker["batch_size"] == _manifests()[name].get("batch_size", 1), name
        assert lam.get_function_concurrency(FunctionName=worker["name"])["ReservedConcurrentExecutions"] == wanted
        api = _manifests()[name].get("api_max_concurrency", 10)
        assert out["functions"]["api"]["reserved_concurrency"] == api
        assert lam.get_function_concurrency(FunctionName=out["functions"]["api"]["name"])[
            "ReservedConcurrentExecutions"] == api


def test_api_routes_and_authorizer(stack, aws):
    api = aws("apigatewayv2")
    api_id = stack["platform"]["api_id"]
    routes = {r["RouteKey"]: r for r in api.get_routes(ApiId=api_id)["Items"]}
    expected = {f"{r['method']} {r['path']}" for m in _manifests().values() for r in m["routes"]}
    assert set(routes) == expected
    assert {r["AuthorizationType"] for r in routes.values()} == {"JWT"}
    authorizer = api.get_authorizer(ApiId=api_id, AuthorizerId=stack["platform"]["api_authorizer_id"])
    assert authorizer["JwtConfiguration"]["Audience"] == [stack["platform"]["user_pool_client_id"]]
    assert authorizer["JwtConfiguration"]["Issuer"].endswith(stack["platform"]["user_pool_id"])


def test_platform_key_encrypts_queues_tables_buckets_logs_and_functions(stack, aws):
    key_arn = stack["platform"]["kms_key_arn"]
    kms = aws("kms")
    assert kms.describe_key(KeyId=key_arn)["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"]
    assert stack["platform"]["kms_key_alias"] == "alias/smartpay-data"
    sqs, ddb, s3, logs, lam = aws("sqs"), aws("dynamodb"), aws("s3"), aws("logs"), aws("lambda")
    for name, out in stack["services"].items():
        for url in (out["queue_url"], out["dlq_url"]):
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"]
            assert attrs["KmsMasterKeyId"] == key_arn, url
        for table in out["tables"].values():
            sse = ddb.describe_table(TableName=table)["Table"]["SSEDescription"]
            assert (sse["Status"], sse["SSEType"], sse["KMSMasterKeyArn"]) == ("ENABLED", "KMS", key_arn), table
        for bucket in out["buckets"].values():
            rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
            assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
            # The TLS-only policy is off on the local target (moto serves plain HTTP and enforces it);
            # the mocked-provider tests check it is on for target=aws.
            with pytest.raises(s3.exceptions.ClientError, match="NoSuchBucketPolicy"):
                s3.get_bucket_policy(Bucket=bucket)
        for fn in out["functions"].values():
            assert lam.get_function_configuration(FunctionName=fn["name"])["KMSKeyArn"] == key_arn
            group = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{fn['name']}")["logGroups"][0]
            assert group["kmsKeyId"] == key_arn and group["retentionInDays"] == 1
    access = logs.describe_log_groups(logGroupNamePrefix=stack["platform"]["api_access_log_group"])["logGroups"][0]
    assert access["kmsKeyId"] == key_arn


def test_every_dlq_has_a_depth_alarm_on_the_alarm_topic(stack, aws):
    topic = stack["platform"]["alarm_topic_arn"]
    assert aws("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"] == stack["platform"]["kms_key_arn"]
    alarms = {a["AlarmName"]: a for a in aws("cloudwatch").describe_alarms()["MetricAlarms"]}
    dlqs = [out["dlq_name"] for out in stack["services"].values()]
    dlqs.append(stack["services"]["webhooks"]["delivery_queue"]["dlq_name"])  # the delivery queue's own DLQ
    by_queue = {a["Dimensions"][0]["Value"]: a for a in alarms.values()}
    for dlq in dlqs:
        alarm = by_queue[dlq]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": dlq}]
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0.0)
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
    assert {out["dlq_alarm_name"] for out in stack["services"].values()} <= set(alarms)
    assert len(alarms) == len(dlqs), "one alarm per DLQ, nothing else"


def test_gateway_secrets_exist_without_values_and_only_payment_reads_them(stack, aws, state_dir):
    """And the rewards chain keys likewise: created without a value, read only by the rewards API and minter."""
    sm, iam = aws("secretsmanager"), aws("iam")
    payment, rewards = stack["services"]["payment"], stack["services"]["rewards"]
    secrets = payment["secrets"]
    assert {s["env"]: s["name"] for s in rewards["secrets"].values()} == {
        "REWARDS_MINT_AUTHORITY_SECRET_ID": "smartpay/rewards/mint-authority",
        "REWARDS_FEE_PAYER_SECRET_ID": "smartpay/rewards/fee-payer",
        "REWARDS_POOL_AUTHORITY_SECRET_ID": "smartpay/rewards/pool-authority"}
    for secret in rewards["secrets"].values():
        with pytest.raises(sm.exceptions.ResourceNotFoundException):
            sm.get_secret_value(SecretId=secret["arn"])  # chain-setup puts the values, never Terraform
    rewards_arns = sorted(s["arn"] for s in rewards["secrets"].values())
    assert {s["env"]: s["name"] for s in secrets.values()} == {
        "PAYMENT_STRIPE_SECRET_ID": "smartpay/payment/stripe",
        "PAYMENT_AMAZON_PAY_SECRET_ID": "smartpay/payment/amazon-pay",
        "PAYMENT_SOLANA_FEE_PAYER_SECRET_ID": "smartpay/payment/solana-fee-payer"}
    for secret in secrets.values():
        desc = sm.describe_secret(SecretId=secret["arn"])
        assert desc["KmsKeyId"] == stack["platform"]["kms_key_arn"]
        with pytest.raises(sm.exceptions.ResourceNotFoundException):
            sm.get_secret_value(SecretId=secret["arn"])  # Terraform put no value
    for root in ("platform", *terraform.SERVICES):
        state = (state_dir / root / "terraform.tfstate").read_text()
        assert "aws_secretsmanager_secret_version" not in state and "secret_string" not in state, root
    for fn in payment["functions"].values():  # the worker charges, the API checks vault tokens
        env = aws("lambda").get_function_configuration(FunctionName=fn["name"])["Environment"]["Variables"]
        assert {k: env.get(k) for k in payment["secret_environment"]} == payment["secret_environment"]
    arns = sorted(s["arn"] for s in secrets.values())
    for name, out in stack["services"].items():
        for kind, fn in out["functions"].items():
            doc = iam.get_role_policy(RoleName=fn["role_arn"].rsplit("/", 1)[1], PolicyName="least-privilege")["PolicyDocument"]
            doc = json.loads(doc) if isinstance(doc, str) else doc
            granted = sorted(r for st in doc["Statement"] if any(a.startswith("secretsmanager:") for a in _list(st["Action"]))
                             for r in _list(st["Resource"]))
            allowed = arns if name == "payment" else rewards_arns if (name, kind) in (
                ("rewards", "api"), ("rewards", "minter")) else []
            assert granted == allowed, f"{name} {kind}"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_role_has_a_wildcard_action_or_unscoped_resource(stack, aws):
    iam = aws("iam")
    for name, out in stack["services"].items():
        for kind, fn in out["functions"].items():
            doc = iam.get_role_policy(RoleName=fn["role_arn"].rsplit("/", 1)[1], PolicyName="least-privilege")["PolicyDocument"]
            doc = json.loads(doc) if isinstance(doc, str) else doc
            for st in doc["Statement"]:
                assert all(a != "*" and not a.endswith(":*") for a in _list(st["Action"])), (name, kind, st)
                if "*" in _list(st["Resource"]):
                    assert all(a.startswith(("xray:", "ec2:")) for a in _list(st["Action"])), (name, kind, st)


def test_api_stage_throttles_and_logs_access(stack, aws):
    stage = aws("apigatewayv2").get_stage(ApiId=stack["platform"]["api_id"], StageName="$default")
    settings = stage["DefaultRouteSettings"]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (100.0, 200)
    assert stack["platform"]["api_throttling"] == {"rate_limit": 100, "burst_limit": 200}
    access = stage["AccessLogSettings"]
    assert access["DestinationArn"].endswith(f":log-group:{stack['platform']['api_access_log_group']}")
    assert set(json.loads(access["Format"])) >= {"requestId", "routeKey", "status"}
    assert "Authorization" not in access["Format"] and "$context.authorizer.claims" not in access["Format"]



def _wait_for_replay(events, name: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while (state := events.describe_replay(ReplayName=name)["State"]) != "COMPLETED":
        assert state in ("STARTING", "RUNNING") and time.monotonic() < deadline, f"replay {name}: {state}"
        time.sleep(0.2)


def _event(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    ident = uuid.uuid4().hex
    detail = {"metadata": {"event_id": ident, "correlation_id": f"pay_{ident[:12]}", "schema_version": "1.0"},
              "data": data}
    return {"Source": _producers(event_type)[0], "DetailType": event_type, "Detail": json.dumps(detail),
            "EventBusName": "smartpay-bus"}


def test_each_event_reaches_exactly_its_subscribers(stack, aws):
    manifests, sqs, events = _manifests(), aws("sqs"), aws("events")
    types = sorted({s["event_type"] for m in manifests.values() for s in m["subscriptions"]})
    entries = [_event(t, {}) for t in types if t != "fraud.assessed"]
    entries += [_event("fraud.assessed", {"decision": "approve"}), _event("fraud.assessed", {"decision": "decline"})]
    for start in range(0, len(entries), 10):
        assert events.put_events(Entries=entries[start:start + 10])["FailedEntryCount"] == 0

    for name, manifest in manifests.items():
        received = sorted(b["detail"]["metadata"]["event_id"] for b in drain(sqs, stack["services"][name]["queue_url"]))
        expected = sorted(
            json.loads(e["Detail"])["metadata"]["event_id"] for e in entries
            if any(s["event_type"] == e["DetailType"] and _matches(s.get("detail_filter", {}), json.loads(e["Detail"]))
                   for s in manifest["subscriptions"]))
        assert received == expected, f"{name}: got {len(received)} events, expected {len(expected)}"


def test_declined_fraud_decision_skips_routing(stack, aws):
    sqs, events = aws("sqs"), aws("events")
    entries = [_event("fraud.assessed", {"decision": "decline"}), _event("fraud.assessed", {"decision": "approve"})]
    assert events.put_events(Entries=entries)["FailedEntryCount"] == 0
    ids = [json.loads(e["Detail"])["metadata"]["event_id"] for e in entries]
    routing = [b["detail"]["metadata"]["event_id"] for b in drain(sqs, stack["services"]["routing"]["queue_url"])]
    payment = [b["detail"]["metadata"]["event_id"] for b in drain(sqs, stack["services"]["payment"]["queue_url"])]
    assert routing == [ids[1]], "routing only gets allowed payments"
    assert sorted(payment) == sorted(ids), "payment gets every fraud decision"
    for name in ("fraud", "chat"):
        assert drain(sqs, stack["services"][name]["queue_url"]) == []


def test_archive_replay_never_reaches_service_queues(stack, aws):
    """Replays carry `replay-name`; the service rules say `replay-name: exists false`, so a replay
    lands only in a debug rule (`exists true`), as the operator CLI sets one up."""
    sqs, events = aws("sqs"), aws("events")
    window_start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=2)
    entry = _event("payment.requested", {})
    event_id = json.loads(entry["Detail"])["metadata"]["event_id"]
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    live = {name: [b["detail"]["metadata"]["event_id"] for b in drain(sqs, out["queue_url"])]
            for name, out in stack["services"].items()}
    assert live["fraud"] == [event_id] and live["payment"] == [event_id]

    debug_url = sqs.create_queue(QueueName="smartpay-test-replay-debug")["QueueUrl"]
    debug_arn = sqs.get_queue_attributes(QueueUrl=debug_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = events.put_rule(Name="smartpay-test-replay-debug", EventBusName="smartpay-bus", EventPattern=json.dumps(
        {"replay-name": [{"exists": True}], "detail": {"metadata": {"event_id": [event_id]}}}))
    events.put_targets(Rule="smartpay-test-replay-debug", EventBusName="smartpay-bus",
                       Targets=[{"Id": "debug", "Arn": debug_arn}])
    replay = f"test-{uuid.uuid4().hex[:8]}"
    try:
        events.start_replay(
            ReplayName=replay, EventSourceArn=stack["platform"]["archive_arn"],
            EventStartTime=window_start, EventEndTime=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2),
            Destination={"Arn": stack["platform"]["bus_arn"], "FilterArns": [rule["RuleArn"]]})
        _wait_for_replay(events, replay)
        replayed = drain(sqs, debug_url)
        assert [b["detail"]["metadata"]["event_id"] for b in replayed] == [event_id]
        assert replayed[0]["replay-name"] == replay
        for name, out in stack["services"].items():
            assert drain(sqs, out["queue_url"]) == [], f"replayed event reached {name}"
    finally:
        events.remove_targets(Rule="smartpay-test-replay-debug", EventBusName="smartpay-bus", Ids=["debug"])
        events.delete_rule(Name="smartpay-test-replay-debug", EventBusName="smartpay-bus")
        sqs.delete_queue(QueueUrl=debug_url)


def test_replan_right_after_apply_is_clean(stack, endpoint, state_dir, live_output):
    # Reuse the applied zips: a teammate editing sources meanwhile is a real change, not drift.
    with live_output():
        assert terraform.plan_is_clean(endpoint, state_dir, rebuild_lambda_zips=False, repo_root=REPO_ROOT)


def test_destroy_removes_everything(stack, endpoint, state_dir, aws, live_output):
    with live_output():
        started = time.monotonic()
        terraform.destroy_stack(endpoint, state_dir, repo_root=REPO_ROOT)
        print(f"=== destroy_stack: {time.monotonic() - started:.1f} s")
    assert aws("sqs").list_queues().get("QueueUrls", []) == []
    assert [b["Name"] for b in aws("events").list_event_buses()["EventBuses"]] == ["default"]
    assert aws("dynamodb").list_tables()["TableNames"] == []
    assert aws("lambda").list_functions()["Functions"] == []
    assert aws("events").list_rules()["Rules"] == []  # the sweeper's schedule on the default bus too
    assert aws("cognito-idp").list_user_pools(MaxResults=10)["UserPools"] == []

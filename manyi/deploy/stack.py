"""Deploy infra/template.yaml as a CloudFormation stack, through boto3 (no SAM CLI needed).

What `sam deploy` would do, in four steps that work the same in `aws` and `aws-cn`:
1. upload the artifact to the deployment bucket under a content-addressed key, so unchanged
   code is not redeployed;
2. point the template's CodeUri at it and send the template as JSON (the long form of every
   intrinsic), with the AWS::Serverless transform left for CloudFormation to expand;
3. create a change set (CREATE for a new stack, UPDATE otherwise; a parameter not given keeps
   its previous value on an update) and show what it will change;
4. execute it and wait, then return the stack's outputs (the site bucket and distribution that
   `manyi publish` needs).
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manyi.errors import ManyiError

# CloudFormation takes a template body up to this size; a larger one goes through S3.
MAX_TEMPLATE_BODY = 51_200
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
KEY_PREFIX = "manyi"
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
# Stacks that exist but cannot take an UPDATE change set.
NEEDS_DELETE = frozenset({"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"})
POLL_SECONDS = 5.0


class DeployError(ManyiError):
    """The stack was not (fully) deployed; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class CodeLocation:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True, slots=True)
class DeployResult:
    stack: str
    changed: bool
    changes: tuple[str, ...]
    outputs: dict[str, str]


def ensure_bucket(s3: Any, bucket: str, region: str) -> bool:
    """Create the deployment bucket (private, encrypted) unless it exists; True if created."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise DeployError(
                f"bucket {bucket} exists but is not yours to use ({code}); choose another name"
            ) from None
    # us-east-1 is the one region that refuses a location constraint naming itself.
    where = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=bucket, **where)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    return True


def upload_artifact(s3: Any, artifact: Path, bucket: str, stack: str) -> CodeLocation:
    """Put the zip under a key named by its content (skipped when already there)."""
    data = artifact.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:20]
    key = f"{KEY_PREFIX}/{stack}/lambda-{digest}.zip"
    existing = s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
    if not any(item["Key"] == key for item in existing):
        s3.put_object(Bucket=bucket, Key=key, Body=data, ServerSideEncryption="AES256")
    return CodeLocation(bucket, key)


def deployable_template(template: Mapping[str, Any], code: CodeLocation) -> dict[str, Any]:
    """The template with every local CodeUri replaced by the uploaded artifact."""
    result = copy.deepcopy(dict(template))
    holders = [result.get("Globals", {}).get("Function", {})]
    holders += [
        resource.get("Properties", {})
        for resource in result.get("Resources", {}).values()
        if resource.get("Type") == "AWS::Serverless::Function"
    ]
    for holder in holders:
        uri = holder.get("CodeUri")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            holder["CodeUri"] = code.uri
    return result


def template_body(template: Mapping[str, Any]) -> str:
    return json.dumps(template, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def template_argument(
    s3: Any, body: str, bucket: str, stack: str, region: str, url_suffix: str
) -> dict[str, str]:
    """TemplateBody when small enough, else TemplateURL of a copy in the deployment bucket."""
    data = body.encode("utf-8")
    if len(data) <= MAX_TEMPLATE_BODY:
        return {"TemplateBody": body}
    key = f"{KEY_PREFIX}/{stack}/template-{hashlib.sha256(data).hexdigest()[:20]}.json"
    s3.put_object(Bucket=bucket, Key=key, Body=data, ServerSideEncryption="AES256")
    return {"TemplateURL": f"https://{bucket}.s3.{region}.{url_suffix}/{key}"}


def stack_parameters(
    template: Mapping[str, Any],
    given: Mapping[str, str],
    *,
    updating: bool,
    existing: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """CloudFormation's Parameters: the given values; on an update the rest keep theirs.

    `existing` names the parameters the stack has (None: all): one the template added since
    has no previous value to keep and takes its default.
    """
    declared = template.get("Parameters", {})
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise DeployError(
            f"unknown parameter(s) {', '.join(unknown)}; the template takes {', '.join(declared)}"
        )
    parameters: list[dict[str, Any]] = []
    for name in declared:
        if name in given:
            parameters.append({"ParameterKey": name, "ParameterValue": given[name]})
        elif updating and (existing is None or name in existing):
            parameters.append({"ParameterKey": name, "UsePreviousValue": True})
    return parameters


def stack_status(cloudformation: Any, stack: str) -> str | None:
    """The stack's status, or None when there is no such stack."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return str(stacks[0]["StackStatus"]) if stacks else None


def stack_parameters_now(cloudformation: Any, stack: str) -> dict[str, str]:
    """The stack's parameters as CloudFormation holds them (a NoEcho value reads `****`)."""
    stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {p["ParameterKey"]: p.get("ParameterValue", "") for p in stacks[0].get("Parameters", [])}


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def deploy_stack(
    cloudformation: Any,
    *,
    stack: str,
    template: Mapping[str, Any],
    parameters: Mapping[str, str],
    template_source: dict[str, str],
    tags: Mapping[str, str],
    existing: Collection[str] | None = None,
    log: Callable[[str], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeployResult:
    """Create and execute a change set; wait until the stack is complete.

    `existing`: the parameters the stack has now (see `stack_parameters`)."""
    status = stack_status(cloudformation, stack)
    if status in NEEDS_DELETE:
        raise DeployError(
            f"stack {stack} is {status}: nothing of it can be updated. Delete it (its tables "
            "and buckets are retained) and deploy again."
        )
    updating = status is not None and status != "REVIEW_IN_PROGRESS"
    name = f"manyi-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
    cloudformation.create_change_set(
        StackName=stack,
        ChangeSetName=name,
        ChangeSetType="UPDATE" if updating else "CREATE",
        Parameters=stack_parameters(template, parameters, updating=updating, existing=existing),
        Capabilities=CAPABILITIES,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        Description="manyi deploy",
        **template_source,
    )
    change_set = _wait_change_set(cloudformation, stack, name, sleep)
    if change_set["Status"] == "FAILED":
        reason = change_set.get("StatusReason", "")
        if any(marker in reason for marker in NO_CHANGES):
            cloudformation.delete_change_set(StackName=stack, ChangeSetName=name)
            log("no changes: the stack is already as this template and artifact describe")
            return DeployResult(stack, False, (), stack_outputs(cloudformation, stack))
        raise DeployError(f"change set {name} failed: {reason}")
    changes = tuple(_describe(c) for c in change_set.get("Changes", []))
    for line in changes:
        log(line)
    cloudformation.execute_change_set(StackName=stack, ChangeSetName=name)
    final = _wait_stack(cloudformation, stack, sleep)
    if not final.endswith("_COMPLETE") or "ROLLBACK" in final:
        raise DeployError(f"stack {stack} ended {final}: {_first_failure(cloudformation, stack)}")
    log(f"stack {stack}: {final}")
    return DeployResult(stack, True, changes, stack_outputs(cloudformation, stack))


def _wait_change_set(
    cloudformation: Any, stack: str, name: str, sleep: Callable[[float], None]
) -> dict[str, Any]:
    while True:
        found: dict[str, Any] = cloudformation.describe_change_set(
            StackName=stack, ChangeSetName=name
        )
        if found["Status"] in ("CREATE_COMPLETE", "FAILED"):
            # Changes come in pages; a stack this size fits in one, but read them all.
            changes = list(found.get("Changes", []))
            token = found.get("NextToken")
            while token:
                page = cloudformation.describe_change_set(
                    StackName=stack, ChangeSetName=name, NextToken=token
                )
                changes += page.get("Changes", [])
                token = page.get("NextToken")
            return {**found, "Changes": changes}
        sleep(POLL_SECONDS)


def _wait_stack(cloudformation: Any, stack: str, sleep: Callable[[float], None]) -> str:
    while True:
        status = stack_status(cloudformation, stack) or "DELETE_COMPLETE"
        if not status.endswith("_IN_PROGRESS"):
            return status
        sleep(POLL_SECONDS)


def _describe(change: Mapping[str, Any]) -> str:
    resource = change.get("ResourceChange", {})
    replacement = " (replacement)" if resource.get("Replacement") == "True" else ""
    return (
        f"{resource.get('Action', '?')} {resource.get('LogicalResourceId', '?')} "
        f"{resource.get('ResourceType', '')}{replacement}"
    )


def _first_failure(cloudformation: Any, stack: str) -> str:
    events = cloudformation.describe_stack_events(StackName=stack).get("StackEvents", [])
    failed = [e for e in events if str(e.get("ResourceStatus", "")).endswith("_FAILED")]
    if not failed:
        return "see the stack's events"
    first = failed[-1]  # events come newest first
    return f"{first.get('LogicalResourceId')}: {first.get('ResourceStatusReason', '')}"

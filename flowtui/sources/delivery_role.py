"""The IAM role a flow log delivers with: read it, judge it, or create a least-privilege one.

Reading takes iam:GetRole (the trust policy), iam:ListRolePolicies + iam:GetRolePolicy (inline
policies) and iam:ListAttachedRolePolicies + iam:GetPolicy + iam:GetPolicyVersion (managed
policies); every call goes through the shared rate limiter. The documents are judged by
`flowtui.core.flowlog_policy`. A permission flowtui lacks makes that part "cannot tell", named
by its IAM action; a role that does not exist is a `RoleNotFoundError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from flowtui.core.flowlog_policy import (
    SERVICE_PRINCIPAL,
    DeliveryTarget,
    PermissionsCheck,
    PolicyFormatError,
    TrustCheck,
    Verdict,
    check_permissions,
    check_trust,
    permissions_policy,
    trust_policy,
)
from flowtui.sources.aws import (
    AccessDeniedError,
    AwsConnection,
    EndpointUnreachableError,
    SourceError,
    error_code,
)
from flowtui.sources.ec2_resources import FlowLogInfo
from flowtui.sources.ratelimit import RateLimiter

#: The inline policy flowtui puts on a role it creates.
DELIVERY_POLICY_NAME = "flowtui-flow-log-delivery"
_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/(?P<path>.+)$"
)
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


class RoleNotFoundError(SourceError):
    """The role named by an ARN does not exist in the account."""


@dataclass(frozen=True, slots=True)
class RoleArn:
    arn: str
    account_id: str
    name: str
    partition: str = "aws"


def parse_role_arn(arn: str) -> RoleArn:
    """A role ARN's account and name; a SourceError says what a role ARN looks like."""
    match = _ROLE_ARN.match(arn.strip())
    if match is None:
        raise SourceError(f"{arn!r} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)")
    return RoleArn(
        arn.strip(), match["account"], match["path"].rsplit("/", 1)[-1], match["partition"]
    )


def check_role_name(name: str) -> str:
    if not _ROLE_NAME.match(name):
        raise SourceError(f"{name!r} is not a valid role name (1-64 letters, digits and +=,.@_-)")
    return name


@dataclass
class RoleReport:
    """What flowtui could learn about a delivery role."""

    arn: str
    name: str
    trust: TrustCheck | None = None
    permissions: PermissionsCheck | None = None
    #: Why parts could not be read ("missing permission iam:GetRolePolicy").
    unreadable: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool | None:
        """True when trust and permissions are both allowed, False when either is refused,
        None when flowtui cannot tell."""
        verdicts = [
            self.trust.verdict if self.trust else Verdict.UNKNOWN,
            self.permissions.verdict if self.permissions else Verdict.UNKNOWN,
        ]
        if any(v in (Verdict.DENIED, Verdict.MISSING) for v in verdicts):
            return False
        if all(v is Verdict.ALLOWED for v in verdicts):
            return True
        return None

    def refused_action(self) -> str | None:
        """The first IAM action the role refuses the flow-logs service: sts:AssumeRole when
        its trust policy refuses, else the first delivery action missing or denied."""
        if self.trust is not None and self.trust.verdict in (Verdict.DENIED, Verdict.MISSING):
            return "sts:AssumeRole"
        if self.permissions is not None:
            for check in self.permissions.checks:
                if check.verdict in (Verdict.DENIED, Verdict.MISSING):
                    return check.action
        return None

    def failure(self) -> str | None:
        """Why delivery fails, in a few words ("role r lacks logs:PutLogEvents"); None when
        the role can deliver or flowtui cannot tell."""
        action = self.refused_action()
        if action is None:
            return None
        if action == "sts:AssumeRole":
            return f"role {self.name}'s trust policy refuses {SERVICE_PRINCIPAL}"
        return f"role {self.name} lacks {action}"

    def problems(self) -> list[str]:
        """One line per thing that stops (or may stop) delivery."""
        lines: list[str] = []
        if self.trust is not None and not self.trust.ok:
            lines.append(f"trust policy: {self.trust.reason}")
        if self.permissions is not None:
            for check in self.permissions.checks:
                if check.verdict is not Verdict.ALLOWED:
                    lines.append(f"{check.action}: {check.verdict.value} ({check.reason})")
        lines.extend(self.unreadable)
        return lines


def iam_client(conn: AwsConnection) -> Any:
    """The connection's IAM client (global service; a custom endpoint is used for it too)."""
    return conn.client("iam")


def _iam(
    conn: AwsConnection, limiter: RateLimiter, action: str, call: Callable[[], Any]
) -> dict[str, Any]:
    """One IAM call through the limiter; NoSuchEntity becomes RoleNotFoundError."""

    def guarded() -> Any:
        try:
            return call()
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                message = str(exc.response.get("Error", {}).get("Message", "not found"))
                raise RoleNotFoundError(message) from None
            raise

    response: dict[str, Any] = limiter.call(guarded, action)
    return response


def _policy_documents(
    conn: AwsConnection, limiter: RateLimiter, name: str, report: RoleReport
) -> list[tuple[str, str | Mapping[str, object]]] | None:
    iam = iam_client(conn)
    documents: list[tuple[str, str | Mapping[str, object]]] = []
    try:
        marker: str | None = None
        while True:
            kwargs: dict[str, Any] = {"RoleName": name, **({"Marker": marker} if marker else {})}
            page = _iam(
                conn, limiter, "iam:ListRolePolicies", partial(iam.list_role_policies, **kwargs)
            )
            for policy_name in page.get("PolicyNames", []):
                got = _iam(
                    conn,
                    limiter,
                    "iam:GetRolePolicy",
                    partial(iam.get_role_policy, RoleName=name, PolicyName=policy_name),
                )
                documents.append((f"inline policy {policy_name}", got["PolicyDocument"]))
            marker = page.get("Marker") if page.get("IsTruncated") else None
            if not marker:
                break
        marker = None
        while True:
            kwargs = {"RoleName": name, **({"Marker": marker} if marker else {})}
            page = _iam(
                conn,
                limiter,
                "iam:ListAttachedRolePolicies",
                partial(iam.list_attached_role_policies, **kwargs),
            )
            for attached in page.get("AttachedPolicies", []):
                arn = attached["PolicyArn"]
                policy = _iam(
                    conn, limiter, "iam:GetPolicy", partial(iam.get_policy, PolicyArn=arn)
                )
                version = policy["Policy"].get("DefaultVersionId", "v1")
                got = _iam(
                    conn,
                    limiter,
                    "iam:GetPolicyVersion",
                    partial(iam.get_policy_version, PolicyArn=arn, VersionId=version),
                )
                label = f"managed policy {attached.get('PolicyName', arn)}"
                documents.append((label, got["PolicyVersion"]["Document"]))
            marker = page.get("Marker") if page.get("IsTruncated") else None
            if not marker:
                break
    except AccessDeniedError as exc:
        report.unreadable.append(f"{exc.message}: the role's permissions cannot be checked")
        return None
    return documents


def inspect_role(
    conn: AwsConnection,
    limiter: RateLimiter,
    role_arn: str,
    target: DeliveryTarget,
    *,
    flow_log_id: str | None = None,
) -> RoleReport:
    """Read a delivery role and judge its trust policy and its permissions for `target`.

    Raises RoleNotFoundError when the role does not exist, SourceError for a malformed ARN.
    """
    parsed = parse_role_arn(role_arn)
    report = RoleReport(parsed.arn, parsed.name)
    iam = iam_client(conn)
    try:
        role = _iam(conn, limiter, "iam:GetRole", partial(iam.get_role, RoleName=parsed.name))
    except RoleNotFoundError:
        raise RoleNotFoundError(
            f"role {parsed.name} does not exist in account {parsed.account_id} ({parsed.arn})"
        ) from None
    except AccessDeniedError as exc:
        report.unreadable.append(f"{exc.message}: the trust policy cannot be checked")
        role = None
    if role is not None:
        report.trust = check_trust(
            role["Role"].get("AssumeRolePolicyDocument", {}),
            parsed.account_id,
            conn.region,
            flow_log_id=flow_log_id,
        )
    documents = _policy_documents(conn, limiter, parsed.name, report)
    if documents is not None:
        try:
            report.permissions = check_permissions(documents, target)
        except PolicyFormatError as exc:
            report.unreadable.append(f"cannot read the role's policies: {exc}")
    return report


def role_exists(conn: AwsConnection, limiter: RateLimiter, name: str) -> bool:
    """Whether a role of this name exists (False when iam:GetRole is denied: CreateRole will
    say)."""
    iam = iam_client(conn)
    try:
        _iam(conn, limiter, "iam:GetRole", partial(iam.get_role, RoleName=name))
    except RoleNotFoundError:
        return False
    except AccessDeniedError:
        return False
    return True


def create_role(
    conn: AwsConnection, limiter: RateLimiter, name: str, target: DeliveryTarget
) -> str:
    """Create a least-privilege delivery role; returns its ARN. An existing role of that name
    is an error: flowtui never changes a role it did not create."""
    check_role_name(name)
    iam = iam_client(conn)
    trust = json.dumps(trust_policy(target.account_id, target.region))
    try:
        created = _iam(
            conn,
            limiter,
            "iam:CreateRole",
            partial(
                iam.create_role,
                RoleName=name,
                AssumeRolePolicyDocument=trust,
                Description="Delivers VPC flow logs to CloudWatch Logs (created by flowtui)",
            ),
        )
    except SourceError as exc:
        if "EntityAlreadyExists" in exc.message:
            raise SourceError(
                f"role {name} already exists: pass it with --role, or choose another name"
            ) from None
        raise
    _iam(
        conn,
        limiter,
        "iam:PutRolePolicy",
        partial(
            iam.put_role_policy,
            RoleName=name,
            PolicyName=DELIVERY_POLICY_NAME,
            PolicyDocument=json.dumps(permissions_policy(target)),
        ),
    )
    arn: str = created["Role"]["Arn"]
    return arn


def delivery_failures(
    conn: AwsConnection, limiter: RateLimiter, flow_logs: Iterable[FlowLogInfo]
) -> dict[str, str]:
    """Flow log id -> "delivery failing: role r lacks logs:PutLogEvents", for each flow log
    to CloudWatch Logs whose role flowtui judges unable to deliver (the judgement `flowtui
    doctor` makes; AWS may still report SUCCESS until it has tried). A role that cannot be
    read (no IAM permission, not found, perhaps of another account) is left out: that is the
    doctor's to say."""
    judged: dict[tuple[str, str | None], str | None] = {}
    failures: dict[str, str] = {}
    for flow_log in flow_logs:
        role_arn = flow_log.role_arn
        if flow_log.destination_type != "cloud-watch-logs" or not role_arn:
            continue
        key = (role_arn, flow_log.log_group)
        if key not in judged:
            account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else None
            target = DeliveryTarget(account, conn.region, flow_log.log_group)
            try:
                report = inspect_role(conn, limiter, role_arn, target, flow_log_id=flow_log.id)
            except EndpointUnreachableError:
                raise
            except SourceError:  # denied, not found (maybe another account's): cannot tell
                judged[key] = None
            else:
                judged[key] = report.failure()
        reason = judged[key]
        if reason is not None:
            failures[flow_log.id] = f"delivery failing: {reason}"
    return failures

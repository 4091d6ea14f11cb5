"""The flow-log delivery role: its least-privilege JSON, and checks of a role's policies.

A flow log that delivers to CloudWatch Logs assumes an IAM role. The role's trust policy must
let the `vpc-flow-logs.amazonaws.com` service assume it, and its permissions must allow the five
delivery actions; when they do not, AWS accepts the flow log and delivery silently fails. IAM
answers neither question, so flowtui reads the policy documents and evaluates them itself:
Allow and Deny statements, `Action` or `NotAction` as a string or a list, `*` and `?`
wildcards, `Resource`/`NotResource` against the log group's ARNs, and the `aws:SourceAccount` /
`aws:SourceArn` conditions AWS recommends on the trust policy. Whatever it cannot decide (other
conditions, permission boundaries, SCPs) is reported as "cannot tell", never as allowed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

SERVICE_PRINCIPAL = "vpc-flow-logs.amazonaws.com"
ASSUME_ROLE = "sts:AssumeRole"
POLICY_VERSION = "2012-10-17"

#: What the flow-logs service calls with the role, in the order AWS documents them.
DELIVERY_ACTIONS: tuple[str, ...] = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
)
#: Actions that act on one log group's streams, not on the group list.
_STREAM_ACTIONS = frozenset(
    {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
)


class Verdict(StrEnum):
    ALLOWED = "allowed"
    #: An explicit Deny matches.
    DENIED = "denied"
    #: No statement allows it.
    MISSING = "missing"
    #: A statement might allow or deny it, depending on what flowtui cannot evaluate.
    UNKNOWN = "cannot tell"


@dataclass(frozen=True, slots=True)
class DeliveryTarget:
    """Where a flow log delivers; each part may be unknown (then resources are judged loosely)."""

    account_id: str | None = None
    region: str | None = None
    group: str | None = None
    partition: str = "aws"

    def group_arn(self) -> str | None:
        if not (self.account_id and self.region and self.group):
            return None
        return f"arn:{self.partition}:logs:{self.region}:{self.account_id}:log-group:{self.group}"


# --- the least-privilege role --------------------------------------------------------------


def trust_policy(account_id: str | None = None, region: str | None = None) -> dict[str, object]:
    """The trust policy of a delivery role: only the flow-logs service, and (when the account
    is known) only on behalf of this account's flow logs, as AWS recommends."""
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"Service": SERVICE_PRINCIPAL},
        "Action": ASSUME_ROLE,
    }
    if account_id:
        source_arn = f"arn:aws:ec2:{region or '*'}:{account_id}:vpc-flow-log/*"
        statement["Condition"] = {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": source_arn},
        }
    return {"Version": POLICY_VERSION, "Statement": [statement]}


def permissions_policy(target: DeliveryTarget | None = None) -> dict[str, object]:
    """The permissions of a delivery role: the five delivery actions, on one log group when it
    is known (DescribeLogGroups lists groups, so it cannot be narrowed to one)."""
    group_arn = target.group_arn() if target else None
    if group_arn is None:
        statements: list[dict[str, object]] = [
            {"Effect": "Allow", "Action": list(DELIVERY_ACTIONS), "Resource": "*"}
        ]
    else:
        statements = [
            {
                "Sid": "DeliverToTheLogGroup",
                "Effect": "Allow",
                "Action": [a for a in DELIVERY_ACTIONS if a != "logs:DescribeLogGroups"],
                "Resource": [group_arn, f"{group_arn}:*"],
            },
            {"Sid": "FindTheLogGroup", "Effect": "Allow", "Action": "logs:DescribeLogGroups",
             "Resource": "*"},
        ]  # fmt: skip
    return {"Version": POLICY_VERSION, "Statement": statements}


def policy_json(document: Mapping[str, object]) -> str:
    """A policy document as the exact JSON to paste or pass to `aws iam`."""
    return json.dumps(document, indent=2)


# --- reading policy documents ---------------------------------------------------------------


class PolicyFormatError(ValueError):
    """A policy document that is not IAM's JSON shape."""


def load_document(document: str | Mapping[str, object]) -> Mapping[str, object]:
    """A policy document from IAM: a mapping, JSON text, or URL-encoded JSON text (GetRolePolicy
    and GetPolicyVersion return it URL-encoded on the wire; boto3 usually decodes it)."""
    if isinstance(document, Mapping):
        return document
    text = document.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        from urllib.parse import unquote

        text = unquote(text)
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyFormatError(f"not a JSON policy document: {exc.msg}") from None
    if not isinstance(loaded, dict):
        raise PolicyFormatError("a policy document must be a JSON object")
    return loaded


def _statements(document: Mapping[str, object]) -> list[Mapping[str, object]]:
    raw = document.get("Statement", [])
    items = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(items, list) or not all(isinstance(s, Mapping) for s in items):
        raise PolicyFormatError("'Statement' must be an object or a list of objects")
    return list(items)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise PolicyFormatError(f"expected a string or a list of strings, got {value!r}")


@lru_cache(maxsize=512)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: `*` any run of characters, `?` one character, nothing else special."""
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in glob
    )
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def action_matches(glob: str, action: str) -> bool:
    """Whether an IAM action pattern (`logs:*`, `*`, `logs:Put*`) names `action` (any case)."""
    return _pattern(glob, True).match(action) is not None


def _resource_matches(glob: str, arn: str) -> bool:
    return _pattern(glob, False).match(arn) is not None


# --- permissions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionCheck:
    action: str
    verdict: Verdict
    #: Which policy and statement decided it, or why it could not be decided.
    reason: str


@dataclass(frozen=True, slots=True)
class PermissionsCheck:
    checks: tuple[ActionCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.verdict is Verdict.ALLOWED for check in self.checks)

    def actions(self, verdict: Verdict) -> tuple[str, ...]:
        return tuple(check.action for check in self.checks if check.verdict is verdict)

    @property
    def verdict(self) -> Verdict:
        """The worst of the per-action verdicts: denied, then missing, then cannot tell."""
        for worst in (Verdict.DENIED, Verdict.MISSING, Verdict.UNKNOWN):
            if self.actions(worst):
                return worst
        return Verdict.ALLOWED


def _candidate_arns(action: str, target: DeliveryTarget) -> tuple[str, ...] | None:
    """The resource ARNs IAM may evaluate the action against; None when the group is unknown."""
    group_arn = target.group_arn()
    if group_arn is None:
        return None
    if action == "logs:DescribeLogGroups":
        prefix = group_arn.rpartition(":log-group:")[0]
        return (f"{prefix}:log-group:*",)
    if action in _STREAM_ACTIONS:
        return (f"{group_arn}:log-stream:eni-0example-all", f"{group_arn}:*")
    return (group_arn, f"{group_arn}:*")


def _covers_resource(
    statement: Mapping[str, object], action: str, target: DeliveryTarget
) -> bool | None:
    """Whether the statement's resources include the target: True, False, or None (unknown)."""
    if "NotResource" in statement:
        excluded = _strings(statement["NotResource"])
        candidates = _candidate_arns(action, target)
        if candidates is None:
            return None if excluded else True
        return not any(_resource_matches(g, arn) for g in excluded for arn in candidates)
    globs = _strings(statement.get("Resource", "*"))
    if "*" in globs:
        return True
    candidates = _candidate_arns(action, target)
    if candidates is None:
        return None
    return any(_resource_matches(g, arn) for g in globs for arn in candidates)


def _names_action(statement: Mapping[str, object], action: str) -> bool:
    if "NotAction" in statement:
        return not any(action_matches(g, action) for g in _strings(statement["NotAction"]))
    return any(action_matches(g, action) for g in _strings(statement.get("Action", [])))


def _check_action(
    action: str, documents: Sequence[tuple[str, Mapping[str, object]]], target: DeliveryTarget
) -> ActionCheck:
    allowed_by: str | None = None
    unsure: list[str] = []
    may_deny: list[str] = []
    for name, document in documents:
        for index, statement in enumerate(_statements(document)):
            if not _names_action(statement, action):
                continue
            where = f"{name}, statement {statement.get('Sid') or index + 1}"
            covers = _covers_resource(statement, action, target)
            conditional = bool(statement.get("Condition"))
            if str(statement.get("Effect", "")).lower() == "deny":
                if covers is True and not conditional:
                    return ActionCheck(action, Verdict.DENIED, f"denied by {where}")
                if covers is not False:
                    may_deny.append(f"{where} may deny it (condition or resource)")
                continue
            if covers is True and not conditional:
                allowed_by = allowed_by or where
            elif covers is None:
                unsure.append(f"{where} allows it on resources that may not include the group")
            elif covers is True:
                unsure.append(f"{where} allows it only under a condition")
    if allowed_by and not may_deny:
        return ActionCheck(action, Verdict.ALLOWED, f"allowed by {allowed_by}")
    if may_deny or unsure:
        return ActionCheck(action, Verdict.UNKNOWN, "; ".join(may_deny + unsure))
    return ActionCheck(action, Verdict.MISSING, "no statement allows it")


def check_permissions(
    documents: Iterable[tuple[str, str | Mapping[str, object]]],
    target: DeliveryTarget | None = None,
    actions: Sequence[str] = DELIVERY_ACTIONS,
) -> PermissionsCheck:
    """Whether the role's policies (pairs of a name and its document) allow each action.

    A malformed document is a PolicyFormatError naming the policy.
    """
    loaded: list[tuple[str, Mapping[str, object]]] = []
    for name, document in documents:
        try:
            parsed = load_document(document)
            _statements(parsed)
        except PolicyFormatError as exc:
            raise PolicyFormatError(f"policy {name}: {exc}") from None
        loaded.append((name, parsed))
    where = target or DeliveryTarget()
    try:
        return PermissionsCheck(tuple(_check_action(a, loaded, where) for a in actions))
    except PolicyFormatError as exc:
        raise PolicyFormatError(f"a policy of the role: {exc}") from None


# --- trust ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrustCheck:
    verdict: Verdict
    reason: str

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.ALLOWED


def _principal_services(statement: Mapping[str, object]) -> tuple[bool, list[str]]:
    """(anyone, services) named by the statement's Principal."""
    principal = statement.get("Principal")
    if principal == "*":
        return True, []
    if not isinstance(principal, Mapping):
        return False, []
    if principal.get("AWS") == "*":
        return True, []
    services = principal.get("Service")
    return False, _strings(services) if services is not None else []


_STRING_OPERATORS = {
    "StringEquals": False,
    "StringLike": True,
    "ArnEquals": False,
    "ArnLike": True,
    "StringEqualsIgnoreCase": False,
}


def _condition_holds(
    condition: Mapping[str, object], context: Mapping[str, str]
) -> tuple[bool | None, str]:
    """Whether every condition holds for the flow-logs service acting for `context`.

    Returns (True/False, why) or (None, why) for a key or operator flowtui does not evaluate.
    """
    for operator, clauses in condition.items():
        base = operator.removeprefix("ForAnyValue:").removeprefix("ForAllValues:")
        if base not in _STRING_OPERATORS or not isinstance(clauses, Mapping):
            return None, f"condition operator {operator} is not evaluated by flowtui"
        for key, expected in clauses.items():
            actual = context.get(str(key).lower())
            if actual is None:
                return None, f"condition on {key} cannot be checked here"
            globs = _strings(expected)
            if _STRING_OPERATORS[base]:
                ok = any(_resource_matches(g, actual) for g in globs)
            elif base == "StringEqualsIgnoreCase":
                ok = actual.lower() in (g.lower() for g in globs)
            else:
                ok = actual in globs
            if not ok:
                return False, f"condition {operator} {key} {globs} does not match {actual}"
    return True, ""


def check_trust(
    document: str | Mapping[str, object],
    account_id: str | None = None,
    region: str | None = None,
    flow_log_id: str | None = None,
) -> TrustCheck:
    """Whether `vpc-flow-logs.amazonaws.com` may assume a role with this trust policy, for a
    flow log of `account_id` in `region` (`flow_log_id` when checking an existing one)."""
    try:
        statements = _statements(load_document(document))
    except PolicyFormatError as exc:
        return TrustCheck(Verdict.UNKNOWN, f"trust policy: {exc}")
    context: dict[str, str] = {}
    if account_id:
        context["aws:sourceaccount"] = account_id
        # A new flow log's id is not known yet: any id stands for it.
        arn_id = flow_log_id or "fl-0123456789abcdef0"
        where_from = f"arn:aws:ec2:{region or 'us-east-1'}:{account_id}"
        context["aws:sourcearn"] = f"{where_from}:vpc-flow-log/{arn_id}"
    allowed: str | None = None
    unsure: list[str] = []
    may_deny: list[str] = []
    refused: list[str] = []
    try:
        for index, statement in enumerate(statements):
            where = f"statement {statement.get('Sid') or index + 1}"
            anyone, services = _principal_services(statement)
            if not anyone and SERVICE_PRINCIPAL not in services:
                continue
            if not _names_action(statement, ASSUME_ROLE):
                refused.append(f"{where} names the service but not {ASSUME_ROLE}")
                continue
            condition = statement.get("Condition")
            holds, why = (
                _condition_holds(condition, context)
                if isinstance(condition, Mapping) and condition
                else (True, "")
            )
            if str(statement.get("Effect", "")).lower() == "deny":
                if holds is True:
                    return TrustCheck(Verdict.DENIED, f"{where} denies {SERVICE_PRINCIPAL}")
                if holds is None:
                    may_deny.append(f"{where} may deny it: {why}")
                continue
            if holds is True:
                allowed = allowed or where
            elif holds is None:
                unsure.append(f"{where}: {why}")
            else:
                refused.append(f"{where}: {why}")
    except PolicyFormatError as exc:
        return TrustCheck(Verdict.UNKNOWN, f"trust policy: {exc}")
    if allowed and not may_deny:
        return TrustCheck(Verdict.ALLOWED, f"{SERVICE_PRINCIPAL} may assume it ({allowed})")
    if may_deny or unsure:
        return TrustCheck(Verdict.UNKNOWN, "; ".join(may_deny + unsure))
    detail = f": {'; '.join(refused)}" if refused else ""
    return TrustCheck(
        Verdict.MISSING, f"it does not let {SERVICE_PRINCIPAL} assume the role{detail}"
    )

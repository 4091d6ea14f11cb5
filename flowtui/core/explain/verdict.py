"""What decided a flow record, as data: the `Verdict` and the rule it names (`RuleRef`), with
the JSON form the headless `explain` command prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["inbound", "outbound"]
VerdictKind = Literal["nacl-deny", "sg-no-allow", "allowed", "bpa", "unknown"]
RuleSource = Literal["network-acl", "security-group"]


@dataclass(frozen=True, slots=True)
class RuleRef:
    """The rule that decided: a network ACL rule, or the security groups that allow nothing.

    `ids` is the ACL, or every group of the interface; `number` is the ACL rule number (32767
    for the final `*` rule), None for security groups; `text` is the rule in words.
    """

    source: RuleSource
    ids: tuple[str, ...]
    direction: Direction
    number: int | None
    text: str
    subnet_id: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "type": self.source,
            "ids": list(self.ids),
            "direction": self.direction,
            "number": self.number,
            "text": self.text,
            "subnet": self.subnet_id,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """What decided a record: `text` in plain words, `steps` in evaluation order.

    `missing` names the IAM actions that were denied while gathering data this verdict needed.
    """

    kind: VerdictKind
    rule: RuleRef | None
    text: str
    steps: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "verdict": self.kind,
            "rule": self.rule.to_json() if self.rule else None,
            "text": self.text,
            "steps": list(self.steps),
            "missing_permissions": list(self.missing),
        }

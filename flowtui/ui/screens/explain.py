"""Explain a record (`x`): which network ACL rule or security group decided it.

The backend gathers the network (EC2 lookups, cached, rate limited) and the core evaluator
decides, in a thread worker; this screen shows the verdict in plain words, coloured by kind,
with the deciding rule, the steps taken and any IAM permission that was missing. A failure is
one line. The record and every name in the verdict are shown as plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer

from flowtui.core.explain.verdict import RuleRef, Verdict, VerdictKind
from flowtui.core.netmodel import IMPLICIT_DENY_RULE
from flowtui.ui.backend import error_text
from flowtui.ui.formatting import sanitize
from flowtui.ui.keys import EXPLAIN_KEYS, bindings

#: Runs the explanation (blocking); True reads the rules again instead of from the cache.
Explainer = Callable[[bool], Verdict]

VERDICT_TITLES: dict[VerdictKind, str] = {
    "nacl-deny": "DENIED BY A NETWORK ACL",
    "sg-no-allow": "NO SECURITY GROUP RULE ALLOWS IT",
    "bpa": "BLOCKED BY VPC BLOCK PUBLIC ACCESS",
    "allowed": "TODAY'S RULES ALLOW IT",
    "unknown": "CANNOT DECIDE",
}
_VERDICT_STYLES: dict[VerdictKind, str] = {
    "nacl-deny": "reject",
    "sg-no-allow": "reject",
    "bpa": "reject",
    "allowed": "accept",
    "unknown": "warning",
}


def rule_text(rule: RuleRef) -> str:
    """'network ACL acl-0abc rule 100, inbound, subnet subnet-0def' in one line."""
    if rule.source == "network-acl":
        number = "*" if rule.number in (None, IMPLICIT_DENY_RULE) else str(rule.number)
        where = f", subnet {rule.subnet_id}" if rule.subnet_id else ""
        return f"network ACL {', '.join(rule.ids)} rule {number}, {rule.direction}{where}"
    groups = "security group" if len(rule.ids) == 1 else "security groups"
    return f"{groups} {', '.join(rule.ids)}, {rule.direction}"


class VerdictView(Widget):
    """The verdict (or the one-line failure, or 'working…') as plain, styled text."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "verdict--reject",
        "verdict--accept",
        "verdict--warning",
        "verdict--heading",
        "verdict--muted",
        "verdict--text",
    }

    DEFAULT_CSS = """
    VerdictView { height: auto; padding: 0 1; }
    VerdictView > .verdict--reject { color: $flow-reject; text-style: bold reverse; }
    VerdictView > .verdict--accept { color: $flow-accept; text-style: bold reverse; }
    VerdictView > .verdict--warning { color: $warning; text-style: bold reverse; }
    VerdictView > .verdict--heading { color: $primary; text-style: bold; }
    VerdictView > .verdict--muted { color: $flow-muted; }
    VerdictView > .verdict--text { text-style: bold; }
    """

    def __init__(self, record_line: str, record_owner: str) -> None:
        super().__init__()
        self._record_line = record_line
        self._record_owner = record_owner
        self.verdict: Verdict | None = None
        self.failure = ""
        self.working = True

    def show(self, verdict: Verdict | None, failure: str = "") -> None:
        self.verdict, self.failure, self.working = verdict, failure, False
        self.refresh(layout=True)

    def start(self) -> None:
        self.working = True
        self.refresh(layout=True)

    def render(self) -> RenderableType:
        record = Text()
        record.append("Record ", self._style("heading"))
        record.append(sanitize(self._record_line))
        if self._record_owner:
            record.append(f"  ({sanitize(self._record_owner)})", self._style("muted"))
        parts: list[RenderableType] = [record, Text()]
        if self.working:
            parts.append(Text("Reading network ACLs and security groups…", self._style("muted")))
        elif self.failure:
            parts.append(Text(f"Cannot explain this record: {sanitize(self.failure)}", "bold"))
        elif self.verdict is not None:
            parts.extend(self._verdict(self.verdict))
        return Group(*parts)

    def _verdict(self, verdict: Verdict) -> list[RenderableType]:
        badge = self._style(_VERDICT_STYLES[verdict.kind])
        title = Text(f" {VERDICT_TITLES[verdict.kind]} ", badge)
        parts: list[RenderableType] = [title, Text(sanitize(verdict.text), self._style("text"))]
        if verdict.rule is not None:
            parts.append(self._section("Deciding rule"))
            rule = Text(sanitize(rule_text(verdict.rule)))
            rule.append(f"\n{sanitize(verdict.rule.text)}", self._style("muted"))
            parts.append(self._items([("", rule)]))
        if verdict.missing:
            heading = self._section("Missing permissions")
            heading.append(" (granting them lets flowtui decide more)", self._style("muted"))
            parts.append(heading)
            parts.append(self._items([("", Text(sanitize(action))) for action in verdict.missing]))
        if verdict.steps:
            parts.append(self._section("Steps"))
            numbered = [(f"{n}.", Text(sanitize(step))) for n, step in enumerate(verdict.steps, 1)]
            parts.append(self._items(numbered))
        parts.append(Text())
        parts.append(
            Text(
                "The rules are today's; the record is history. r reads the rules again.",
                self._style("muted"),
            )
        )
        return parts

    def _section(self, title: str) -> Text:
        return Text(f"\n{title}", self._style("heading"))

    @staticmethod
    def _items(items: list[tuple[str, Text]]) -> Table:
        """Indented lines that wrap under themselves, not under their number."""
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", width=3, no_wrap=True)
        grid.add_column(ratio=1)
        for mark, text in items:
            grid.add_row(Text(mark), text)
        return grid

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"verdict--{name}", partial=True)


@dataclass
class _Explained(Message):
    token: int
    verdict: Verdict


@dataclass
class _ExplainFailed(Message):
    token: int
    message: str


class ExplainScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings(EXPLAIN_KEYS)

    DEFAULT_CSS = """
    ExplainScreen { align: center middle; background: $background 60%; }
    ExplainScreen > VerticalScroll {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 0;
    }
    """

    def __init__(self, explainer: Explainer, record_line: str, record_owner: str = "") -> None:
        super().__init__()
        self._explainer = explainer
        self.verdict_view = VerdictView(record_line, record_owner)
        self._token = 0

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroller:
            scroller.border_title = "Explain record"
            yield self.verdict_view
        yield Footer()

    def on_mount(self) -> None:
        self._start(refresh=False)

    def _start(self, refresh: bool) -> None:
        self._token += 1
        self.verdict_view.start()
        self._explain(self._token, refresh)

    @work(thread=True, exclusive=True, group="explain", exit_on_error=False)
    def _explain(self, token: int, refresh: bool) -> None:
        try:
            verdict = self._explainer(refresh)
        except Exception as error:  # one line on screen, never a traceback
            self.post_message(_ExplainFailed(token, error_text(error)))
            return
        self.post_message(_Explained(token, verdict))

    @on(_Explained)
    def _explained(self, message: _Explained) -> None:
        if message.token == self._token:
            self.verdict_view.show(message.verdict)

    @on(_ExplainFailed)
    def _failed(self, message: _ExplainFailed) -> None:
        if message.token == self._token:
            self.verdict_view.show(None, message.message)

    def action_refresh(self) -> None:
        self._start(refresh=True)

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)

"""Messages screens and workers send each other; the App handles the ones that leave a screen."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from flowtui.core.query import Query
from flowtui.core.store import StoreSnapshot
from flowtui.core.view import ViewIndex
from flowtui.ui.backend import Feed, FeedStatus
from flowtui.ui.column_layout import Measurements
from flowtui.ui.formatting import Ownership


@dataclass
class OpenStreams(Message):
    """Show the streams of a log group."""

    group: str


@dataclass
class OpenExplorer(Message):
    """Load `query` into a new explorer (after asking when the source expects a large fetch)."""

    query: Query
    filter_text: str = ""


@dataclass
class FindRequested(Message):
    """Look up the ENI and stream of an IP, instance id or Name tag."""

    text: str


@dataclass
class ExplorerAction(Message):
    """A flow-table action whose screen belongs to a later feature (stats, explain, export...).

    Carries everything such a screen needs: the action name (the binding id: "value_counts",
    "stats", "explain", "export", "save_view", "views"), the feed, the query and filter as
    shown, the current record and column.
    """

    name: str
    feed: Feed
    query: Query
    filter_text: str
    view: ViewIndex
    snapshot: StoreSnapshot
    row_id: int | None
    column: str | None


@dataclass
class RefetchRequested(Message):
    """Fetch the query again (clearing the store), or fetch an earlier slice (`more`)."""

    feed: Feed
    query: Query
    more: bool = False


@dataclass
class FilterApplied(Message):
    """The explorer applied a new filter (never sent per keystroke)."""

    feed: Feed
    query: Query


@dataclass
class FollowChanged(Message):
    feed: Feed
    follow: bool


@dataclass
class StopLoading(Message):
    """Stop the feed's running load; the rows that arrived stay."""

    feed: Feed


@dataclass
class FeedStatusChanged(Message):
    feed: Feed
    status: FeedStatus

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FeedStatusChanged) and message.feed is self.feed


@dataclass
class OwnershipChanged(Message):
    feed: Feed
    ownership: Ownership


@dataclass
class FeedFailed(Message):
    feed: Feed
    message: str


@dataclass
class ViewBuilt(Message):
    """A worker finished a view index; `token` tells whether it is still wanted."""

    token: int
    snapshot: StoreSnapshot
    view: ViewIndex
    #: What the records need (all of them when `fresh`, else only the rows just appended).
    widths: Measurements | None
    fresh: bool = True


@dataclass
class SearchDone(Message):
    """Positions of the rows a search found in the view it searched (`view_token`)."""

    view_token: int
    positions: list[int]
    jump: int

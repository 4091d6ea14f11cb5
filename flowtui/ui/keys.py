"""The key table: every binding's id, default keys, action and help text, in one place.

Screens build their `BINDINGS` from these specs, the help screen lists them, and the user's
keymap (`keymap` in config.json: binding id -> keys) is checked against their ids. Ids use
underscores, as the settings file does (`{"save_view": "ctrl+s"}`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True, slots=True)
class KeySpec:
    id: str
    keys: str
    action: str
    description: str
    #: Shown in the footer (the rest only in the help screen).
    footer: bool = False
    key_display: str | None = None
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(
            self.keys,
            self.action,
            self.description,
            show=self.footer,
            key_display=self.key_display,
            priority=self.priority,
            id=self.id,
        )


def bindings(specs: Iterable[KeySpec]) -> list[BindingType]:
    return [spec.binding() for spec in specs]


MOVE_KEYS: tuple[KeySpec, ...] = (
    KeySpec("cursor_up", "up,k", "cursor_up", "Row up", key_display="↑ k"),
    KeySpec("cursor_down", "down,j", "cursor_down", "Row down", key_display="↓ j"),
    KeySpec("cursor_left", "left,h", "cursor_left", "Column left", key_display="← h"),
    KeySpec("cursor_right", "right,l", "cursor_right", "Column right", key_display="→ l"),
    KeySpec("page_up", "pageup", "page_up", "Page up", key_display="PgUp"),
    KeySpec("page_down", "pagedown", "page_down", "Page down", key_display="PgDn"),
    KeySpec("first_row", "g,home", "first_row", "First row", key_display="g Home"),
    KeySpec(
        "last_row", "G,end", "last_row", "Last row (and stick to new rows)", key_display="G End"
    ),
)

EXPLORER_KEYS: tuple[KeySpec, ...] = (
    KeySpec("detail", "enter", "toggle_detail", "Detail", footer=True, key_display="⏎"),
    KeySpec("follow", "F", "toggle_follow", "Follow", footer=True),
    KeySpec("time_range", "T", "time_range", "Time", footer=True),
    KeySpec("utc_local", "t", "toggle_local_time", "UTC/local time"),
    KeySpec("filter", "f", "open_filter", "Filter", footer=True),
    KeySpec("search", "slash", "open_search", "Search", footer=True, key_display="/"),
    KeySpec("search_next", "n", "search_next", "Next match"),
    KeySpec("search_previous", "N", "search_previous", "Previous match"),
    KeySpec("filter_to", "equals_sign", "quick_filter(False)", "Filter to cell", key_display="="),
    KeySpec(
        "filter_out", "exclamation_mark", "quick_filter(True)", "Exclude cell", key_display="!"
    ),
    KeySpec(
        "sort_ascending", "left_square_bracket", "sort(False)", "Sort ascending", key_display="["
    ),
    KeySpec(
        "sort_descending", "right_square_bracket", "sort(True)", "Sort descending", key_display="]"
    ),
    KeySpec("columns", "c", "columns", "Columns"),
    KeySpec(
        "value_counts", "number_sign", "later('value_counts')", "Value counts", key_display="#"
    ),
    KeySpec("stats", "s", "later('stats')", "Stats"),
    KeySpec("insights_editor", "i", "later('insights_editor')", "Insights query"),
    KeySpec("explain", "x", "later('explain')", "Explain record"),
    KeySpec("copy_record", "y", "copy_record", "Copy record"),
    KeySpec("copy_field", "Y", "copy_field", "Copy field"),
    KeySpec("export", "e", "later('export')", "Export"),
    KeySpec("save_view", "ctrl+s", "later('save_view')", "Save view", key_display="^s"),
    KeySpec("views", "v", "later('views')", "Views"),
    KeySpec("refetch", "r", "refetch", "Refetch"),
)

LIST_KEYS: tuple[KeySpec, ...] = (
    KeySpec("list_filter", "f,slash", "focus_filter", "Filter", footer=True, key_display="f /"),
    KeySpec("toggle_selection", "space", "toggle_selection", "Select", footer=True),
    KeySpec("select_all", "a", "select_all", "All", footer=True),
    KeySpec("open", "enter", "open", "Open", footer=True, key_display="⏎"),
    # The explorer's id: one keymap entry moves the key on every screen that has it.
    KeySpec("views", "v", "app.views", "Views", footer=True),
)

VALUE_COUNTS_KEYS: tuple[KeySpec, ...] = (
    KeySpec("values_filter_to", "enter", "pick(False)", "Filter to value", True, "⏎"),
    KeySpec("values_exclude", "exclamation_mark", "pick(True)", "Exclude value", True, "!"),
    KeySpec("values_search", "f,slash", "focus_filter", "Find value", True, "f /"),
    KeySpec("values_engine", "e", "switch_engine", "Switch engine: local or Insights"),
    KeySpec("values_close", "escape,q", "close", "Close", True, "Esc"),
)

STATS_KEYS: tuple[KeySpec, ...] = (
    KeySpec("stats_next", "tab,right,l", "next_table(1)", "Next table", True, "Tab →"),
    KeySpec("stats_previous", "shift+tab,left,h", "next_table(-1)", "Previous table", False, "←"),
    KeySpec("stats_counting", "c", "cycle_counting", "Counting", True),
    KeySpec("stats_engine", "e", "switch_engine", "Switch engine: local or Insights"),
    KeySpec("stats_drill", "enter", "drill", "Open the records of a row"),
    KeySpec("stats_bucket", "b", "drill_bucket", "Open the records of a time bucket"),
    KeySpec("stats_down", "down,j", "scroll(1)", "Scroll down", key_display="↓ j"),
    KeySpec("stats_up", "up,k", "scroll(-1)", "Scroll up", key_display="↑ k"),
    KeySpec("stats_page_down", "pagedown", "scroll(10)", "Page down", key_display="PgDn"),
    KeySpec("stats_page_up", "pageup", "scroll(-10)", "Page up", key_display="PgUp"),
    KeySpec("stats_close", "escape,q", "close", "Back", True, "Esc"),
)

INSIGHTS_EDITOR_KEYS: tuple[KeySpec, ...] = (
    KeySpec("insights_older", "up", "older", "Older query (history)", True, "↑"),
    KeySpec("insights_newer", "down", "newer", "Newer query (history)", True, "↓"),
    KeySpec("insights_save", "ctrl+s", "save", "Save in a view", True, "^s"),
    KeySpec("insights_focus", "tab", "toggle_focus", "Query / results", False, "Tab"),
    KeySpec("insights_close", "escape", "close", "Stop the query, or close", True, "Esc"),
)

EXPLAIN_KEYS: tuple[KeySpec, ...] = (
    KeySpec("explain_refresh", "r", "refresh", "Read the rules again", True),
    KeySpec("explain_down", "down,j", "scroll(1)", "Scroll down", key_display="↓ j"),
    KeySpec("explain_up", "up,k", "scroll(-1)", "Scroll up", key_display="↑ k"),
    KeySpec("explain_close", "escape,q,x", "close", "Close", True, "Esc"),
)

EXPORT_KEYS: tuple[KeySpec, ...] = (
    KeySpec("export_run", "ctrl+s", "run", "Export", True, "^s"),
    KeySpec("export_format", "ctrl+n", "next_format", "Next format", True, "^n"),
    KeySpec("export_cancel", "escape", "cancel", "Cancel", True, "Esc"),
)

NAME_KEYS: tuple[KeySpec, ...] = (
    KeySpec("name_cancel", "escape", "cancel", "Cancel", True, "Esc"),
)

VIEWS_KEYS: tuple[KeySpec, ...] = (
    KeySpec("views_open", "enter", "open", "Open", True, "⏎"),
    KeySpec("views_rename", "r", "rename", "Rename", True),
    KeySpec("views_duplicate", "d", "duplicate", "Duplicate", True),
    KeySpec("views_delete", "delete,x", "delete", "Delete", True, "Del x"),
    KeySpec("views_filter", "f,slash", "focus_filter", "Filter", True, "f /"),
    KeySpec("views_close", "escape,q", "close", "Close", True, "Esc"),
)

FLOW_LOG_KEYS: tuple[KeySpec, ...] = (
    KeySpec("coverage_new_flow_log", "n", "new_flow_log", "New flow log", True),
    KeySpec("flowlogs_delete", "d,delete", "delete_flow_log", "Delete flow log", True, "d Del"),
    KeySpec("flowlogs_change", "c", "change_flow_log", "Change flow log", True),
    KeySpec("flowlog_form_submit", "ctrl+s", "submit", "Check and show the plan", True, "^s"),
    KeySpec("flowlog_form_cancel", "escape", "cancel", "Cancel", True, "Esc"),
)

DETAIL_KEYS: tuple[KeySpec, ...] = (KeySpec("detail_explain", "x", "explain", "Explain record"),)

APP_KEYS: tuple[KeySpec, ...] = (
    KeySpec("back", "escape", "go_back(False)", "Back"),
    KeySpec("quit", "q", "go_back(True)", "Back", footer=True),
    KeySpec("find", "ctrl+f", "find", "Find ENI", key_display="^f"),
    KeySpec("help", "question_mark", "help", "Help", footer=True, key_display="?"),
)

#: The command palette binding is Textual's own (App.COMMAND_PALETTE_BINDING); listed for help.
PALETTE_HELP = ("ctrl+p", "Command palette: themes, toggles")

HELP_SECTIONS: tuple[tuple[str, tuple[KeySpec, ...]], ...] = (
    ("Move", MOVE_KEYS),
    ("Flow table", EXPLORER_KEYS),
    ("Group and stream lists", LIST_KEYS),
    ("Everywhere", APP_KEYS),
    ("Value counts (#)", VALUE_COUNTS_KEYS),
    ("Stats (s)", STATS_KEYS),
    ("Insights editor (i)", INSIGHTS_EDITOR_KEYS),
    ("Explain (x)", EXPLAIN_KEYS),
    ("Export (e)", EXPORT_KEYS),
    ("Saved views (v)", VIEWS_KEYS),
    ("Name dialogs", NAME_KEYS),
    ("Flow logs", FLOW_LOG_KEYS),
    ("Detail overlay", DETAIL_KEYS),
)

ALL_KEYS: tuple[KeySpec, ...] = tuple(spec for _, specs in HELP_SECTIONS for spec in specs)
BINDING_IDS = frozenset(spec.id for spec in ALL_KEYS)


def unknown_keymap_ids(keymap: Mapping[str, str]) -> list[str]:
    """Ids in a user keymap that name no binding (most likely typos)."""
    return sorted(set(keymap) - BINDING_IDS)


#: Textual's own keys that no binding can take over (the palette, quitting).
RESERVED_KEYS = {"ctrl+p": "the command palette", "ctrl+q": "quit", "ctrl+c": "quit"}


def _keys(text: str) -> set[str]:
    return {key.strip() for key in text.split(",") if key.strip()}


def keymap_conflicts(keymap: Mapping[str, str]) -> list[str]:
    """One line per key the user's keymap gives to a binding while another binding that can
    be active at the same time keeps it (such as `q`, which leaves screens): one of the two
    stops working. App-wide keys are active on every screen."""
    effective = {spec.id: _keys(keymap.get(spec.id, spec.keys)) for spec in ALL_KEYS}
    sections: dict[str, set[str]] = {}
    for title, specs in HELP_SECTIONS:
        for spec in specs:
            sections.setdefault(spec.id, set()).add(title)
    by_id = {spec.id: spec for spec in ALL_KEYS}
    everywhere = {spec.id for spec in APP_KEYS}
    problems: list[str] = []
    for binding_id in sorted(set(keymap) & set(by_id)):
        for key in sorted(effective[binding_id]):
            if key in RESERVED_KEYS:
                problems.append(f"'{binding_id}' asks for {key}, which is {RESERVED_KEYS[key]}")
                continue
            for other in ALL_KEYS:
                if other.id == binding_id or key not in effective[other.id]:
                    continue
                shared = bool(sections[other.id] & sections[binding_id]) or bool(
                    {other.id, binding_id} & everywhere
                )
                if shared:
                    problems.append(
                        f"'{binding_id}' takes {key} from '{other.id}' ({other.description})"
                    )
    return problems


def keys_for(spec: KeySpec, keymap: Mapping[str, str]) -> str:
    """The keys a binding answers to after the user's keymap, for display."""
    keys = keymap.get(spec.id)
    if keys is not None:
        return keys
    return spec.key_display or spec.keys

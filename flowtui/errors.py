"""The one exception type for a user's mistake, shared by every entry point."""


class UserError(Exception):
    """A mistake or an environment problem the user can fix; shown as one line, no traceback."""

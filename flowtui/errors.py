"""The one exception type for a user's mistake, shared by every entry point."""


class UserError(Exception):
    """A mistake or an environment problem the user can fix; shown as one line, no traceback.

    `exit_code` is the command's exit status: 2 (the default) for what the user typed, 1 for
    something the command looked for and did not find (a log group, a stream).
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code

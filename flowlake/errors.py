"""Errors the CLI turns into one clean line and a non-zero exit (never a traceback)."""


class FlowlakeError(Exception):
    """A problem the user can act on; the message is shown as is."""

    exit_code = 1


class UsageError(FlowlakeError):
    """Unknown query, unknown or invalid parameter: the user typed something wrong."""

    exit_code = 2


class LakeError(FlowlakeError):
    """The lake cannot be read: missing bucket, denied access, corrupt or malformed file."""


class MissingFieldsError(FlowlakeError):
    """A query needs flow-log fields that the lake's format does not have."""

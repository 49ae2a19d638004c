"""Errors that services raise for a person to read (in Chinese); views show them and change nothing."""


class ServiceError(Exception):
    """A rule refused the change. ``message`` is Chinese and shown as is; ``field`` names the input."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationErrors(ServiceError):
    """Several problems at once, e.g. the rows of a rejected import."""

    def __init__(self, message: str, errors: list):
        super().__init__(message)
        self.errors = errors

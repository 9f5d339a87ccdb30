"""Domain errors: each carries the HTTP status and the envelope's error code it is answered with."""

from __future__ import annotations


class KeytallyError(Exception):
    status = 500
    code = "INTERNAL_SERVER_ERROR"
    message = "An unexpected error occurred."

    def __init__(self, description: str | None = None, *, message: str | None = None) -> None:
        super().__init__(description or message or self.message)
        self.description = description
        if message:
            self.message = message


class BadRequest(KeytallyError):
    status, code, message = 400, "BAD_REQUEST", "The request was invalid."


class Unauthorized(KeytallyError):
    status, code, message = 401, "UNAUTHORIZED", "Authentication is required."
    quota: tuple[int, int] | None = None  # (limit, remaining) of the source address's refusals this hour


class Forbidden(KeytallyError):
    status, code, message = 403, "FORBIDDEN", "You do not have permission to perform this action."


class WrongOrganization(Forbidden):
    message = "You do not have permission to access metrics for this organization"


class NotFound(KeytallyError):
    status, code, message = 404, "NOT_FOUND", "The requested resource was not found."


class MethodNotAllowed(KeytallyError):
    status, code, message = 405, "METHOD_NOT_ALLOWED", "The route does not take this method."

    def __init__(self, allow: list[str], description: str | None = None) -> None:
        super().__init__(description)
        self.allow = allow


class Conflict(KeytallyError):
    status, code, message = 409, "CONFLICT_ERROR", "The resource already exists."


class PayloadTooLarge(KeytallyError):
    status, code, message = 413, "PAYLOAD_TOO_LARGE", "The request body is too large."


class UnsupportedMediaType(KeytallyError):
    status, code, message = 415, "UNSUPPORTED_MEDIA_TYPE", "The request body must be JSON (application/json)."


class Unprocessable(KeytallyError):
    status, code, message = 422, "UNPROCESSABLE_ENTITY", "Validation failed for the request parameters."

    def __init__(self, description: str | None = None, *, problems: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(description)
        self.problems = problems  # (where, what) of each offending field, when input validation found them


class TooManyRequests(KeytallyError):
    status, code, message = 429, "TOO_MANY_REQUESTS", "Rate limit exceeded. Retry later."

    def __init__(self, retry_after: int, limit: int, description: str | None = None) -> None:
        super().__init__(description)
        self.retry_after = retry_after
        self.limit = limit


class Unimplemented(KeytallyError):
    status, code, message = 501, "NOT_IMPLEMENTED", "keytally does not implement this operation."


class ServiceUnavailable(KeytallyError):
    status, code, message = 503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable."
    retry_after = 5  # seconds, sent as Retry-After

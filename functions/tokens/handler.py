"""The tokens function: a user's personal access tokens (ShellUI's PATs) — create, list, revoke."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from keytally.fields import ID_PATTERN
from keytally.tokens import service
from keytally.tokens.models import CreatePersonalAccessToken, PersonalAccessToken
from keytally.web.app import create_app, http_handler
from keytally.web.envelope import Envelope, ok
from keytally.web.routes import protected
from keytally.web.security import Caller

app = create_app()
PatId = Annotated[str, Path(max_length=50, pattern=ID_PATTERN)]
TAGS = ["Personal access tokens"]
WHO = (
    "Personal access tokens belong to a user: callers are user keys and tokens (acting for their user); an "
    "organization key gets 403."
)


@protected(
    app,
    "POST",
    "/v1/personal-access-tokens",
    None,
    success=201,
    errors=(404,),
    summary="Create a personal access token",
    description=f"{WHO} The token is a signed JWT, returned once in `access_token` and never again; send it as "
    "`Authorization: Bearer`. It acts for its user with at most the caller's scopes, within the user's role at the "
    "time of each request; `read_only` limits it to GET, HEAD and OPTIONS everywhere. `access_global_metrics` is for "
    "staff only, `organizationSlug` only where the user is an active member (staff: any): 403 otherwise. A token "
    "created by a bound token is bound to the same organization. Not idempotent: a retried create issues a second "
    "token (list and revoke the extra one).",
    tags=TAGS,
)
def create_token(
    caller: Caller, request: Annotated[CreatePersonalAccessToken, Body()]
) -> Response[Envelope[PersonalAccessToken]]:
    record, token = service.create_token(caller, request, datetime.now(UTC))
    return ok(app.context, app.current_event, PersonalAccessToken.of(record, token), status=201)


@protected(
    app,
    "GET",
    "/v1/personal-access-tokens",
    None,
    summary="List your personal access tokens",
    description=f"{WHO} Every token of the caller's user, revoked and expired ones included, oldest first; "
    "never the token strings.",
    tags=TAGS,
)
def list_tokens(caller: Caller) -> Response[Envelope[list[PersonalAccessToken]]]:
    tokens = [PersonalAccessToken.of(record) for record in service.list_tokens(caller)]
    return ok(app.context, app.current_event, tokens)


@protected(
    app,
    "DELETE",
    "/v1/personal-access-tokens/<pat_id>",
    None,
    errors=(404,),
    summary="Revoke a personal access token",
    description=f"{WHO} The token stops working on its next request. Idempotent: revoking again returns the same "
    "token. Another user's token is a 404, as one that does not exist.",
    tags=TAGS,
)
def revoke_token(caller: Caller, pat_id: PatId) -> Response[Envelope[PersonalAccessToken]]:
    record = service.revoke_token(caller, pat_id, datetime.now(UTC))
    return ok(app.context, app.current_event, PersonalAccessToken.of(record))


lambda_handler = http_handler(app)

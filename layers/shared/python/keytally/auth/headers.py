"""Where a credential travels in a request's headers (names in lower case, as API Gateway's payload 2.0 has them)."""

from __future__ import annotations

from collections.abc import Mapping


def credential_in(headers: Mapping[str, str], header: str | None = None) -> str | None:
    """`Authorization: Bearer <credential>`, a bare `Authorization: <credential>` (as ChainPatrol's and BitGPT's
    documents show it), else `X-API-Key: <credential>`; or, when `header` names one, that header alone (a bare
    credential, or `Bearer <credential>`)."""
    if header is not None:
        scheme, _, token = (headers.get(header) or "").strip().partition(" ")
        credential = token.strip() if scheme.lower() == "bearer" and token.strip() else scheme
        return credential or None
    scheme, _, token = (headers.get("authorization") or "").strip().partition(" ")
    if scheme and not token:
        return scheme
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return (headers.get("x-api-key") or "").strip() or None

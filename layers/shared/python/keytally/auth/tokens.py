"""Personal access tokens as strings: HS256 JWTs (PyJWT) whose claims name the token's row. Pure functions given
the signing key; whether a token is still honoured is decided against its row (authenticate)."""

from __future__ import annotations

from typing import NamedTuple

from keytally.errors import Unauthorized
from keytally.models import TokenRecord

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("sub", "pat_id", "pat_ro", "pat_agm", "jti", "iat", "exp")


class TokenClaims(NamedTuple):
    user_id: str
    pat_id: str
    read_only: bool
    global_metrics: bool
    jti: str
    org_slug: str | None

    def match(self, record: TokenRecord) -> bool:
        """The claims are the row's: a row whose flags or organization changed, or that was re-issued under a new
        jti, no longer honours tokens signed before."""
        return (self.user_id, self.pat_id, self.read_only, self.global_metrics, self.jti, self.org_slug) == (
            record.user_id,
            record.pat_id,
            record.read_only,
            record.access_global_metrics,
            record.jti,
            record.org_slug,
        )


def issue(record: TokenRecord, signing_key: str) -> str:
    import jwt  # here, not at import: only calls that create or present a token pay for it at cold start

    claims: dict[str, object] = {
        "sub": record.user_id,
        "pat_id": record.pat_id,
        "pat_ro": record.read_only,
        "pat_agm": record.access_global_metrics,
        "jti": record.jti,
        "iat": int(record.created_at.timestamp()),
        "exp": int(record.expires_at.timestamp()),
    }
    if record.org_slug is not None:
        claims["org"] = record.org_slug
    return jwt.encode(claims, signing_key, algorithm=ALGORITHM)


def looks_like_token(credential: str) -> bool:
    """A JWT's shape (three dot-separated parts, a JSON header): keys never contain a dot."""
    return credential.startswith("eyJ") and credential.count(".") == 2


def verified_claims(token: str, signing_key: str) -> TokenClaims:
    """The claims of a token signed with `signing_key` and not expired; Unauthorized otherwise."""
    import jwt  # as in issue()

    try:
        claims = jwt.decode(token, signing_key, algorithms=[ALGORITHM], options={"require": list(REQUIRED_CLAIMS)})
    except jwt.ExpiredSignatureError as error:
        raise Unauthorized("The personal access token has expired.") from error
    except jwt.InvalidTokenError as error:
        raise Unauthorized("The personal access token is not valid.") from error
    strings, flags = ("sub", "pat_id", "jti"), ("pat_ro", "pat_agm")
    org = claims.get("org")
    if (
        not all(isinstance(claims[name], str) for name in strings)
        or not all(isinstance(claims[name], bool) for name in flags)
        or not isinstance(org, str | None)
    ):
        raise Unauthorized("The personal access token is not valid.")
    return TokenClaims(claims["sub"], claims["pat_id"], claims["pat_ro"], claims["pat_agm"], claims["jti"], org)

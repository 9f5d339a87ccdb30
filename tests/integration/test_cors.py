"""CORS: API Gateway answers preflights from the HttpApi's CorsConfiguration, and so does the local API."""

from __future__ import annotations

from devtools.template import Template


def test_the_http_api_allows_browsers_with_the_products_headers():
    cors = Template().cors()
    assert cors["AllowOrigins"] == ["*"]
    assert set(cors["AllowHeaders"]) == {"Authorization", "X-API-Key", "Content-Type"}
    assert set(cors["ExposeHeaders"]) == {"X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "Retry-After"}


def test_a_preflight_is_answered_without_a_credential_or_a_function(client, world):
    answer = client.options(
        "/v1/api_keys/ak_anything",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "PATCH" in answer.headers["Access-Control-Allow-Methods"]
    assert {"Authorization", "X-API-Key", "Content-Type"} <= set(
        answer.headers["Access-Control-Allow-Headers"].split(", ")
    )


def test_a_cross_origin_response_exposes_the_request_id_and_rate_limit_headers(client, world):
    answer = client.get(
        "/v1/api_keys", headers={"Origin": "https://app.example", "Authorization": f"Bearer {world.keys['acme']}"}
    )
    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Origin"] == "*"
    exposed = set(answer.headers["Access-Control-Expose-Headers"].split(", "))
    assert {"X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "Retry-After"} <= exposed

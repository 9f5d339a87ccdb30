"""Query parameters read from the request's raw query string. API Gateway's payload 2.0 joins a repeated
parameter's values with commas (and Powertools splits them on commas again), so a value containing a comma — a tag
such as `plan:pro,eu` — could never arrive whole. The raw query string keeps every value as sent."""

from __future__ import annotations

from urllib.parse import parse_qs

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2


class RawQueryEvent(APIGatewayProxyEventV2):
    @property
    def resolved_query_string_parameters(self) -> dict[str, list[str]]:
        """Each parameter's values in the order sent, percent-decoded; `?tag=` is one empty value."""
        return parse_qs(self.raw_query_string, keep_blank_values=True)

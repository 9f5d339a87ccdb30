"""Which keytally API each API Gateway API is bound to: a JSON SSM parameter per gateway, named
`{KEYTALLY_GATEWAY_PARAMETERS}{gateway api id}`, written by the gateway's own stack (examples/protected-api). Read
through Powertools parameters and cached for BINDING_MAX_AGE, so a container pays one read per gateway in that time
and a changed binding is in force everywhere within it. Only whoever may write those parameters in the account can
bind a gateway: its clients never choose the API their keys are verified in."""

from __future__ import annotations

import functools
from typing import Any

from keytally.errors import ServiceUnavailable
from keytally.settings import get_settings
from keytally.storage.aws_config import aws_config

BINDING_MAX_AGE = 60  # seconds


def parameter_name(gateway_api_id: str) -> str:
    return f"{get_settings().gateway_parameters}{gateway_api_id}"


def get_binding(gateway_api_id: str) -> Any:
    """The gateway's binding as stored (parsed JSON), None when it has none; ServiceUnavailable when SSM fails."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError

    try:
        return ssm_parameters().get(parameter_name(gateway_api_id), transform="json", max_age=BINDING_MAX_AGE)
    except TransformParameterError:
        return None  # not JSON: the binding is refused as if absent (and logged by the caller)
    except GetParameterError as error:
        if "ParameterNotFound" in str(error):
            return None
        raise ServiceUnavailable("The gateway's binding could not be read; retry shortly.") from error


@functools.cache
def ssm_parameters() -> Any:
    """Powertools' SSM provider (its cache is the instance's), with keytally's timeouts."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider(boto_config=aws_config())

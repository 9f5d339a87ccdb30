"""A deployed keytally stack, as the CLI reaches it: the names CloudFormation gave its tables, token signing secret
and queues (the stack's resources, by the template's logical ids), set as the environment its functions have. A
stack deployed from another version of template.yaml may lack one: it is named, with what to do."""

from __future__ import annotations

import os
import tomllib
from typing import Any

from devtools.store import forget_container
from devtools.template import PROJECT_ROOT, Template

SAMCONFIG = PROJECT_ROOT / "samconfig.toml"


class StackNotReachable(RuntimeError):
    """The stack, or a resource the CLI needs in it, cannot be found; the message says which and what to do."""


def stack_of_environment(config_env: str) -> str:
    """The stack name samconfig.toml gives the environment (`dev`, `prod`)."""
    environments = tomllib.loads(SAMCONFIG.read_text())
    try:
        return str(environments[config_env]["global"]["parameters"]["stack_name"])
    except KeyError:
        known = ", ".join(name for name in environments if name != "version")
        raise StackNotReachable(f"samconfig.toml has no stack_name for environment '{config_env}' ({known})") from None


def use_stack(stack_name: str, template: Template) -> dict[str, tuple[str, str]]:
    """Points this process at the stack's resources, as its functions are (KEYTALLY_* variables); returns the stack's
    resources (logical id -> (type, physical id))."""
    resources = stack_resources(stack_name)
    physical = {logical: physical_id for logical, (_, physical_id) in resources.items()}
    needed = [*template.tables(), *template.secrets(), *template.queues()]
    missing = [logical for logical in needed if logical not in physical]
    if missing:
        raise StackNotReachable(
            f"Stack {stack_name} has no {', '.join(missing)}: it was deployed from another version of template.yaml."
            " Deploy this version (make build, then sam deploy) or use the CLI of the version it runs."
        )
    names = {logical: physical[logical] for logical in needed} | {"AWS::StackName": stack_name}
    environment = {
        name: value
        for name, value in template.function_environment("ApiKeysFunction", names).items()
        if name.startswith("KEYTALLY_")
    }
    os.environ.update(environment)
    forget_container()  # settings and table handles are read anew, from these
    return resources


def stack_resources(stack_name: str) -> dict[str, tuple[str, str]]:
    """Logical id -> (type, physical id) of each of the stack's resources."""
    from botocore.exceptions import BotoCoreError, ClientError

    cloudformation = cloudformation_client()
    region = cloudformation.meta.region_name
    try:
        pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        return {
            resource["LogicalResourceId"]: (resource["ResourceType"], resource["PhysicalResourceId"])
            for page in pages
            for resource in page["StackResourceSummaries"]
            if resource.get("PhysicalResourceId")
        }
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        if "does not exist" in message:
            raise StackNotReachable(
                f"No stack named {stack_name} in {region} (the region is AWS_REGION's, or your profile's)"
            ) from error
        raise StackNotReachable(f"CloudFormation would not list stack {stack_name} in {region}: {message}") from error
    except BotoCoreError as error:
        raise StackNotReachable(f"CloudFormation could not be reached in {region}: {error}") from error


def cloudformation_client() -> Any:
    import boto3

    return boto3.client("cloudformation")

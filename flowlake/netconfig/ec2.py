"""Reading the network configuration from EC2 through boto3, as describe-* documents.

Every call is paginated where EC2 paginates it, so the documents are the same as the AWS CLI
prints (one list per call, all pages joined) and go through the same flatteners as an import.
"""

from dataclasses import replace
from typing import Any

from flowlake.errors import FlowlakeError
from flowlake.lake.store import S3Options
from flowlake.netconfig.documents import Document

# describe-* output list -> the boto3 operation that returns it
OPERATIONS = {
    "Vpcs": "describe_vpcs",
    "Subnets": "describe_subnets",
    "SecurityGroups": "describe_security_groups",
    "NetworkAcls": "describe_network_acls",
    "RouteTables": "describe_route_tables",
    "NetworkInterfaces": "describe_network_interfaces",
    "NatGateways": "describe_nat_gateways",
    "InternetGateways": "describe_internet_gateways",
    "VpcPeeringConnections": "describe_vpc_peering_connections",
    "VpcEndpoints": "describe_vpc_endpoints",
    "Reservations": "describe_instances",
}


class AwsError(FlowlakeError):
    """An AWS API call failed: no credentials, denied, unreachable."""


def aws_errors(what: str) -> Any:
    """One line naming the EC2/STS call that failed (the lake's AWS error mapping)."""
    from flowlake.lake.aws import aws_errors as mapped

    return mapped(what, AwsError)


def _client(service: str, options: S3Options) -> Any:
    from flowlake.lake.aws import client

    return client(service, options)


def account_id(options: S3Options) -> str:
    with aws_errors("sts GetCallerIdentity"):
        return str(_client("sts", options).get_caller_identity()["Account"])


def default_region(options: S3Options) -> str | None:
    from flowlake.lake.aws import session

    return options.region or session(options).region_name


def _pascal(operation: str) -> str:
    return "".join(word.capitalize() for word in operation.split("_"))


def read_region(options: S3Options, region: str) -> list[Document]:
    """Every describe-* document flowlake reads, for one region."""
    ec2 = _client("ec2", replace(options, region=region))
    documents = []
    for kind, operation in OPERATIONS.items():
        what = f"ec2 {_pascal(operation)} in {region}"
        items: list[Any] = []
        with aws_errors(what):
            if ec2.can_paginate(operation):
                for page in ec2.get_paginator(operation).paginate():
                    items += page.get(kind, [])
            else:
                items = getattr(ec2, operation)().get(kind, [])
        documents.append(Document(kind, items, what))
    return documents

"""One line per CloudTrail network change, from the request parameters CloudTrail records."""

import pytest

from flowlake.netconfig.cloudtrail import describe_change, resource_id


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        (
            "AuthorizeSecurityGroupEgress",
            {"groupId": "sg-1", "ipPermissions": {"items": [{"ipProtocol": "-1",
             "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}},
            "authorize egress all to 0.0.0.0/0",
        ),
        (
            "RevokeSecurityGroupIngress",
            {"groupId": "sg-1",
             "securityGroupRuleIds": {"items": [{"securityGroupRuleId": "sgr-9"}]}},
            "revoke ingress sgr-9",
        ),
        (
            "ModifySecurityGroupRules",
            {"ModifySecurityGroupRulesRequest": {"GroupId": "sg-1", "SecurityGroupRule": {
                "SecurityGroupRuleId": "sgr-2", "SecurityGroupRule": {
                    "IpProtocol": "tcp", "FromPort": 80, "ToPort": 81, "CidrIpv4": "10.0.0.0/8"}}}},
            "modify sgr-2: tcp 80-81 10.0.0.0/8",
        ),
        (
            "ReplaceNetworkAclEntry",
            {"networkAclId": "acl-1", "ruleNumber": 200, "egress": True, "ruleAction": "deny",
             "aclProtocol": "6", "portRange": {"from": 32768, "to": 60999},
             "cidrBlock": "10.0.2.0/24"},
            "replace outbound rule 200 DENY tcp 32768-60999 to 10.0.2.0/24",
        ),
        ("DeleteNetworkAclEntry", {"networkAclId": "acl-1", "ruleNumber": 50, "egress": False},
         "delete inbound rule 50"),
        ("ReplaceNetworkAclAssociation", {"associationId": "aclassoc-1", "networkAclId": "acl-2"},
         "aclassoc-1 now uses acl-2"),
        ("ReplaceRoute", {"routeTableId": "rtb-1", "destinationCidrBlock": "0.0.0.0/0",
                          "natGatewayId": "nat-2"}, "replace route 0.0.0.0/0 -> nat-2"),
        (
            "ModifyNetworkInterfaceAttribute",
            {"networkInterfaceId": "eni-1", "groupSet": {"items": [{"groupId": "sg-3"}]}},
            "security groups now sg-3",
        ),
    ],
)  # fmt: skip
def test_change_lines(name: str, params: dict, expected: str) -> None:  # type: ignore[type-arg]
    assert describe_change(name, params) == expected


def test_resource_of_a_call() -> None:
    assert resource_id({"networkAclId": "acl-1", "ruleNumber": 5}, {}) == "acl-1"
    modify = {"ModifySecurityGroupRulesRequest": {"GroupId": "sg-7"}}
    assert resource_id(modify, {}) == "sg-7"
    created = {"natGateway": {"natGatewayId": "nat-5"}}
    assert resource_id({"subnetId": "subnet-1"}, created) == "nat-5"

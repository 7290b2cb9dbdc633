{#- flowlake
title = "Top talking instances and subnets"
description = """
The EC2 instances (by=instance) or subnets (by=subnet) whose network interfaces recorded the most
bytes, packets or flow records, with how many interfaces and how much was rejected: the Athena
integration's "top talking instances" and "top talking subnets". Needs the v3 fields instance-id
and subnet-id in the flow log's format; interfaces without an instance (NAT gateways, load
balancers, endpoints) only count by subnet.
"""
columns = ["resource", "interfaces", "flows", "accepts", "rejects", "packets", "bytes", "first_seen", "last_seen"]
fields = ["instance_id", "subnet_id", "interface_id", "action", "packets", "bytes", "start"]
chart = { kind = "bar", x = "resource", y = "bytes" }
answers = [
    "AWS Athena integration: VpcFlowLogsTopTalkingInstances (by=instance)",
    "AWS Athena integration: VpcFlowLogsTopTalkingSubnets (by=subnet)",
]
insights = '''
parse @message "* * * * * * * * * * * * * * * * * *" as version, accountId, interfaceId, srcAddr,
      dstAddr, srcPort, dstPort, protocol, packets, bytes, start, end, action, logStatus,
      vpcId, subnetId, instanceId, tcpFlags
| filter instanceId != "-"
| stats sum(bytes) as bytes, sum(packets) as packets, count(*) as flows by instanceId
| sort bytes desc
| limit 50'''

[params.by]
type = "enum"
choices = ["instance", "subnet"]
default = "instance"
help = "rank instances or subnets"

[params.metric]
type = "enum"
choices = ["bytes", "packets", "flows"]
default = "bytes"
help = "rank by bytes, packets or flow records"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT records"

[params.limit]
type = "int"
default = 50
help = "how many resources"
-#}
{% set key = 'instance_id' if by.value == 'instance' else 'subnet_id' %}
{% set rank = {'bytes': 'sum(bytes)', 'packets': 'sum(packets)', 'flows': 'count(*)'}[metric.value] %}
SELECT
    {{ key }} AS resource,
    count(DISTINCT interface_id) AS interfaces,
    count(*) AS flows,
    count_if(action = 'ACCEPT') AS accepts,
    count_if(action = 'REJECT') AS rejects,
    sum(packets) AS packets,
    sum(bytes) AS bytes,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM flow_logs
WHERE {{ key }} IS NOT NULL
    {# NODATA and SKIPDATA records have no action #}
    AND action IS NOT NULL
    AND {{ time_window() }}
{% if action is not none %}
    AND action = {{ action }}
{% endif %}
GROUP BY {{ key }}
ORDER BY {{ rank }} DESC, {{ key }}
LIMIT {{ limit }}

{#- flowlake
title = "Top talkers by packet-level address"
description = """
Bytes, packets and flow records by the packet-level source and destination (pkt-srcaddr,
pkt-dstaddr: the original ends of traffic that crosses a NAT gateway or a load balancer, where
srcaddr and dstaddr show the gateway). The Athena integration's "total bytes transferred, packet
level" (by=pair) and "top talkers, packet level" (by=source or by=destination). The key
column(s) follow `by`. Needs the v3 fields pkt-srcaddr and pkt-dstaddr.
"""
columns = ["pkt_srcaddr", "pkt_dstaddr", "bytes", "packets", "flows"]
fields = ["pkt_srcaddr", "pkt_dstaddr", "packets", "bytes", "action", "start"]
answers = [
    "AWS Athena integration: VpcFlowLogsTotalBytesTransferredPacketLevel (by=pair)",
    "AWS Athena integration: VpcFlowLogsTopTalkersPacketLevel (by=source)",
]
insights = '''
parse @message "* * * * * * * * * * * * * * * * * * * * *" as version, accountId, interfaceId,
      srcAddr, dstAddr, srcPort, dstPort, protocol, packets, bytes, start, end, action, logStatus,
      vpcId, subnetId, instanceId, tcpFlags, type, pktSrcAddr, pktDstAddr
| stats sum(bytes) as bytesTransferred by pktSrcAddr, pktDstAddr
| sort bytesTransferred desc
| limit 50'''

[params.by]
type = "enum"
choices = ["pair", "source", "destination"]
default = "pair"
help = "rank pairs, sources or destinations"

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
help = "how many rows"
-#}
{% set keys = {
    'pair': ['pkt_srcaddr', 'pkt_dstaddr'],
    'source': ['pkt_srcaddr'],
    'destination': ['pkt_dstaddr'],
}[by.value] %}
{% set rank = {'bytes': 'sum(bytes)', 'packets': 'sum(packets)', 'flows': 'count(*)'}[metric.value] %}
SELECT
    {{ keys | join(', ') }},
    sum(bytes) AS bytes,
    sum(packets) AS packets,
    count(*) AS flows
FROM flow_logs
WHERE {{ keys | join(' IS NOT NULL AND ') }} IS NOT NULL
    AND {{ time_window() }}
{% if action is not none %}
    AND action = {{ action }}
{% endif %}
GROUP BY {{ keys | join(', ') }}
ORDER BY {{ rank }} DESC, {{ keys | join(', ') }}
LIMIT {{ limit }}

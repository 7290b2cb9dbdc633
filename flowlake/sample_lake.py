"""A sample flow-log lake holding the seeds' troubleshooting stories, with their known answers.

`write_sample_lake(root)` writes AWS-shaped flow-log files (S3 layout, file names, 5-minute
delivery, header line, `-` for not applicable) covering `[now - hours, now)` and returns a
`SampleLake` whose `expected` holds the answers a correct query must find, computed from the very
records written. It feeds `flowlake demo` and the test suite: same (now, seed, options), same bytes.

Topology (all addresses are constants below):

    111122223333 us-east-1  VPC 10.0.0.0/16 + 2001:db8:1234:a100::/56
        10.0.0.0/24     public: NAT gateway 10.0.0.220 (the private workers' way out)
        10.0.1.0/25     web server 10.0.1.10 (TCP/80 and TCP/443 from the internet)
        10.0.1.128/25   private workers 10.0.1.140-143, reaching 8.8.8.8/8.8.4.4 via the NAT gateway
        10.0.2.0/24     app clients 10.0.2.15, .27, .41 (MySQL clients, S3 and internal API users)
        10.0.3.0/24     database 10.0.3.10:3306 (its subnet's NACL denies outbound ephemeral ports)
        10.0.4.0/24     IPv6 app host 2001:db8:1234:a102:3304:8879:34cf:4071
        10.0.5.0/24     internal API 10.0.5.20:8080
    111122223333 eu-west-1  VPC 10.10.0.0/16: reporting host 10.10.1.5, idle interface (NODATA)
    444455556666 eu-west-1  VPC 10.20.0.0/16: bastion 10.20.0.10, fleet 10.20.1.0/24 (scan
        target 10.20.1.50, telnet sweep 10.20.1.10-25), service 10.20.2.30, pinged host 10.20.3.15
    444455556666 us-east-1  VPC 10.30.0.0/16: batch host 10.30.1.40 (SKIPDATA), standby (NODATA)

Scenario timings, in minutes before `now` for a lake of 6 hours or more (the one-off events are
anchored to the end; steady traffic runs over the whole window). A shorter lake scales every
"minutes before now" by hours / 6 (at least one minute) so all stories stay inside the window.

    1 web HTTP        TCP/80 ACCEPT (with responses) until CHANGE_AT = now - 120, REJECT from then
    2 NACL ephemeral  every 3 minutes: request to 3306 ACCEPT, response to 32768-60999 REJECT
    3 SSH             203.0.113.7 REJECT on TCP/22 every 5 minutes; admin 198.51.100.10 ACCEPT
                      for 20 minutes from now - 330
    4 port scans      198.51.100.77 probes 40 ports of 10.20.1.50 from now - 270 over 20 minutes;
                      203.0.113.99 sweeps TCP/23 over 16 hosts from now - 195 over 8 minutes
    5 NAT stops       a conversation every 2 minutes until now - 45 (NAT_STOP_MINUTES), then none
    6 NODATA          two idle interfaces, one record each every 10 minutes; SKIPDATA: 3 records
                      (one a minute) for the batch host from now - 150
    7 IPv6            SSH and HTTPS pairs every 20 minutes, 4 REJECTs on TCP/5432
    8 ICMP            every 10 minutes: echo from 203.0.113.12 ACCEPT, the reply REJECT
    9 noise           HTTPS to/from the internet, S3, an internal API, 12 REJECTs on other ports
"""

import gzip
import hashlib
import io
import ipaddress
import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flowlake import registry
from flowlake.lake import layout as aws_layout

Value = int | str | None
Record = dict[str, Value]

# ---------------------------------------------------------------------------------------------
# Format

# AWS's documented v5 custom-format example: every v2..v5 field, in an order that is NOT the
# default one, so readers must go by the header.
DEFAULT_FIELDS: tuple[str, ...] = tuple(
    registry.column_name(name)
    for name in (
        "version srcaddr dstaddr srcport dstport protocol start end type packets bytes "
        "account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type "
        "sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service "
        "pkt-dst-aws-service traffic-path flow-direction log-status"
    ).split()
)

FILE_FORMATS = ("text", "parquet")
DELIVERY_MINUTES = 5  # one file per flow log (account, region) every 5 minutes
EPHEMERAL_PORTS = (32768, 60999)  # Linux's ephemeral range, the one NACL rules must open

# ---------------------------------------------------------------------------------------------
# Accounts, regions, flow logs

ACCOUNT_A = "111122223333"
ACCOUNT_B = "444455556666"
US_EAST_1 = "us-east-1"
EU_WEST_1 = "eu-west-1"
FLOW_LOG_IDS: dict[tuple[str, str], str] = {
    (ACCOUNT_A, US_EAST_1): "fl-0a1b2c3d4e5f60001",
    (ACCOUNT_A, EU_WEST_1): "fl-0a1b2c3d4e5f60002",
    (ACCOUNT_B, EU_WEST_1): "fl-0b2c3d4e5f6a70001",
    (ACCOUNT_B, US_EAST_1): "fl-0b2c3d4e5f6a70002",
}  # with DEFAULT_FIELDS; another format is another flow log (see flow_log_id)


@dataclass(frozen=True)
class Interface:
    """One network interface (ENI) and where it lives."""

    eni: str
    account: str
    region: str
    vpc: str
    subnet: str
    az: str
    addr: str  # primary private IPv4 address
    instance: str | None = None  # None for AWS-managed interfaces (NAT gateway)


# Account A, us-east-1: VPC 10.0.0.0/16, IPv6 2001:db8:1234:a100::/56
VPC_A_US = "vpc-0a1b2c3d4e5f60001"
VPC_A_US_CIDR = "10.0.0.0/16"
SUBNET_PUBLIC = "subnet-0a1b2c3d4e5f60000"  # 10.0.0.0/24, use1-az1
SUBNET_WEB = "subnet-0a1b2c3d4e5f60001"  # 10.0.1.0/25, use1-az1
SUBNET_PRIVATE = "subnet-0a1b2c3d4e5f60081"  # 10.0.1.128/25, use1-az1
SUBNET_APP = "subnet-0a1b2c3d4e5f60002"  # 10.0.2.0/24, use1-az2
SUBNET_DB = "subnet-0a1b2c3d4e5f60003"  # 10.0.3.0/24, use1-az2
SUBNET_V6 = "subnet-0a1b2c3d4e5f60004"  # 10.0.4.0/24 + 2001:db8:1234:a102::/64, use1-az1
SUBNET_SERVICES = "subnet-0a1b2c3d4e5f60005"  # 10.0.5.0/24, use1-az2
IPV6_VPC_CIDR = "2001:db8:1234:a100::/56"

# 1. web server: HTTP rejected after a security-group change
WEB_ENI = "eni-0a1b2c3d4e5f60010"
WEB_ADDR = "10.0.1.10"
WEB_SUBNET_CIDR = "10.0.1.0/25"
WEB_PORT = 80
WEB_CLIENTS = ("192.0.2.10", "192.0.2.44", "192.0.2.87", "198.51.100.23", "198.51.100.150")
CHANGE_AT_MINUTES = 120  # the security group loses its TCP/80 rule this long before `now`
WEB_EVERY = 2  # one HTTP request every 2 minutes, before and after the change

# 2. NACL on the database subnet rejecting return traffic to ephemeral ports
DB_ENI = "eni-0a1b2c3d4e5f60030"
DB_ADDR = "10.0.3.10"
DB_PORT = 3306
DB_CLIENT_CIDR = "10.0.2.0/24"
DB_CLIENTS = ("10.0.2.15", "10.0.2.27", "10.0.2.41")
DB_EVERY = 3

# 3. SSH denied to a bastion, admin SSH allowed
BASTION_ENI = "eni-0b2c3d4e5f6a70010"
BASTION_ADDR = "10.20.0.10"
SSH_PORT = 22
SSH_ATTACKER = "203.0.113.7"
SSH_ATTACK_EVERY = 5
SSH_ADMIN = "198.51.100.10"
SSH_ADMIN_AT_MINUTES = 330
SSH_ADMIN_MINUTES = 20

# 4. port scans: vertical (one host, many ports) and horizontal (one port, many hosts)
SCANNER = "198.51.100.77"
SCAN_TARGET_ENI = "eni-0b2c3d4e5f6a70050"
SCAN_TARGET_ADDR = "10.20.1.50"
# fmt: off
SCAN_PORTS = (
    21, 25, 53, 110, 111, 135, 139, 143, 445, 993, 995, 1433, 1521, 1723, 2049, 2375, 2379, 3000,
    3389, 5000, 5432, 5900, 5985, 6379, 6443, 7001, 8000, 8008, 8080, 8081, 8443, 8888, 9000,
    9090, 9200, 9300, 10000, 11211, 27017, 50000,
)
# fmt: on
SCAN_OPEN_PORTS = (8080, 8443)  # the target's security group allows these: ACCEPT + SYN-ACK
PORT_SCAN_AT_MINUTES = 270
PORT_SCAN_MINUTES = 20
HSCANNER = "203.0.113.99"
HSCAN_PORT = 23
HSCAN_HOSTS = tuple(f"10.20.1.{n}" for n in range(10, 26))  # 16 hosts, each its own ENI
HSCAN_AT_MINUTES = 195
HSCAN_MINUTES = 8

# 5. NAT gateway whose traffic stops
NAT_ENI = "eni-0a1b2c3d4e5f600dc"
NAT_ADDR = "10.0.0.220"
NAT_PRIVATE_CIDR = "10.0.1.128/25"
NAT_SOURCES = ("10.0.1.140", "10.0.1.141", "10.0.1.142", "10.0.1.143")
NAT_DESTINATIONS = ("8.8.8.8", "8.8.4.4")
NAT_DESTINATION_CIDR = "8.8.0.0/16"
NAT_SERVICES = (("8.8.8.8", 17, 53), ("8.8.4.4", 17, 53), ("8.8.8.8", 6, 443))
NAT_STOP_MINUTES = 45  # nothing through the NAT gateway in the last 45 minutes
NAT_EVERY = 2

# 6. NODATA and SKIPDATA
IDLE_ENI_A = "eni-0a1b2c3d4e5f61009"  # account A, eu-west-1, 10.10.1.9
IDLE_ENI_B = "eni-0b2c3d4e5f6a71041"  # account B, us-east-1, 10.30.1.41
NODATA_EVERY = 10
BATCH_ENI = "eni-0b2c3d4e5f6a71040"  # account B, us-east-1, 10.30.1.40
SKIPDATA_AT_MINUTES = 150
SKIPDATA_RECORDS = 3

# 7. IPv6
IPV6_ENI = "eni-0a1b2c3d4e5f60040"
IPV6_HOST = "2001:db8:1234:a102:3304:8879:34cf:4071"
IPV6_JUMP = "2001:db8:1234:a100:8d6e:3477:df66:f105"  # SSH client (AWS's documented pair)
IPV6_SERVICE = "2001:db8:1234:a101::20"  # HTTPS service, `::`-compressed
IPV6_REJECTED = "2001:db8:1234:a1ff::77"  # `::`-compressed, rejected on TCP/5432
IPV6_REJECT_PORT = 5432
IPV6_EVERY = 20
IPV6_REJECTS = 4

# 8. ICMP: inbound echo ACCEPT, the reply REJECT (a NACL without an outbound ICMP rule)
ICMP_ENI = "eni-0b2c3d4e5f6a70315"
ICMP_LOCAL = "10.20.3.15"
ICMP_REMOTE = "203.0.113.12"
ICMP_EVERY = 10

# 9. background noise
# fmt: off
INTERNET_CLIENTS = (
    "18.204.33.7", "34.226.14.90", "44.195.8.12", "54.85.120.33",
    "3.120.45.6", "35.157.89.101", "52.29.118.2", "13.48.7.200",
)
# fmt: on
S3_ADDRS = ("52.216.8.45", "52.216.114.3", "52.217.40.76", "52.217.193.12")
NOISE_REJECT_SOURCES = ("45.155.205.11", "89.248.165.46", "162.142.125.180")
NOISE_REJECT_PORTS = (3389, 445, 1433, 5900)
NOISE_REJECTS = 12
API_PORT = 8080


def _iface(
    eni: str,
    account: str,
    region: str,
    vpc: str,
    subnet: str,
    az: str,
    addr: str,
    instance: bool = True,
) -> Interface:
    return Interface(
        eni, account, region, vpc, subnet, az, addr, "i-" + eni[4:] if instance else None
    )


def _a(eni: str, subnet: str, az: str, addr: str, instance: bool = True) -> Interface:
    return _iface(eni, ACCOUNT_A, US_EAST_1, VPC_A_US, subnet, az, addr, instance)


WEB = _a(WEB_ENI, SUBNET_WEB, "use1-az1", WEB_ADDR)
NAT = _a(NAT_ENI, SUBNET_PUBLIC, "use1-az1", NAT_ADDR, instance=False)
NAT_WORKERS = tuple(
    _a(f"eni-0a1b2c3d4e5f60{140 + i}", SUBNET_PRIVATE, "use1-az1", addr)
    for i, addr in enumerate(NAT_SOURCES)
)
APP = tuple(
    _a(f"eni-0a1b2c3d4e5f600{addr.rsplit('.', 1)[1]}", SUBNET_APP, "use1-az2", addr)
    for addr in DB_CLIENTS
)
DB = _a(DB_ENI, SUBNET_DB, "use1-az2", DB_ADDR)
IPV6 = _a(IPV6_ENI, SUBNET_V6, "use1-az1", "10.0.4.25")
API = _a("eni-0a1b2c3d4e5f60520", SUBNET_SERVICES, "use1-az2", "10.0.5.20")

VPC_A_EU = "vpc-0a1b2c3d4e5f61000"
SUBNET_A_EU = "subnet-0a1b2c3d4e5f61001"  # 10.10.1.0/24, euw1-az1
REPORTING = _iface(
    "eni-0a1b2c3d4e5f61005", ACCOUNT_A, EU_WEST_1, VPC_A_EU, SUBNET_A_EU, "euw1-az1", "10.10.1.5"
)
IDLE_A = _iface(IDLE_ENI_A, ACCOUNT_A, EU_WEST_1, VPC_A_EU, SUBNET_A_EU, "euw1-az1", "10.10.1.9")

VPC_B_EU = "vpc-0b2c3d4e5f6a70000"
SUBNET_BASTION = "subnet-0b2c3d4e5f6a70000"  # 10.20.0.0/24, euw1-az1
SUBNET_FLEET = "subnet-0b2c3d4e5f6a70001"  # 10.20.1.0/24, euw1-az2
SUBNET_SERVICE_B = "subnet-0b2c3d4e5f6a70002"  # 10.20.2.0/24, euw1-az1
SUBNET_MONITORED = "subnet-0b2c3d4e5f6a70003"  # 10.20.3.0/24, euw1-az2


def _b_eu(eni: str, subnet: str, az: str, addr: str) -> Interface:
    return _iface(eni, ACCOUNT_B, EU_WEST_1, VPC_B_EU, subnet, az, addr)


BASTION = _b_eu(BASTION_ENI, SUBNET_BASTION, "euw1-az1", BASTION_ADDR)
SCAN_TARGET = _b_eu(SCAN_TARGET_ENI, SUBNET_FLEET, "euw1-az2", SCAN_TARGET_ADDR)
FLEET = tuple(
    _b_eu(f"eni-0b2c3d4e5f6a71{int(addr.rsplit('.', 1)[1]):03d}", SUBNET_FLEET, "euw1-az2", addr)
    for addr in HSCAN_HOSTS
)
SERVICE_B = _b_eu("eni-0b2c3d4e5f6a70230", SUBNET_SERVICE_B, "euw1-az1", "10.20.2.30")
MONITORED = _b_eu(ICMP_ENI, SUBNET_MONITORED, "euw1-az2", ICMP_LOCAL)

VPC_B_US = "vpc-0b2c3d4e5f6a71000"
SUBNET_B_US = "subnet-0b2c3d4e5f6a71001"  # 10.30.1.0/24, use1-az4
BATCH = _iface(BATCH_ENI, ACCOUNT_B, US_EAST_1, VPC_B_US, SUBNET_B_US, "use1-az4", "10.30.1.40")
IDLE_B = _iface(IDLE_ENI_B, ACCOUNT_B, US_EAST_1, VPC_B_US, SUBNET_B_US, "use1-az4", "10.30.1.41")

# our VPCs' addresses: egress to them is traffic-path 1 (same VPC), else 8 (internet gateway)
_INSIDE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", IPV6_VPC_CIDR))


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Expected:
    """The known answers, computed from the generated records (times are aware UTC datetimes)."""

    start: datetime  # the lake's window [start, end)
    end: datetime
    version: int  # the `version` field written (highest version among the written fields)
    records: tuple[Record, ...]  # every record, in file order, all v2..v5 columns, None for `-`
    # per record, its story: web, ephemeral, ssh, scan, hscan, nat, status, ipv6, icmp or noise
    scenarios: tuple[str, ...]
    scenario_counts: dict[str, int]
    per_account_region: dict[tuple[str, str], int]  # records per (account_id, region)
    # totals
    total: int
    ok: int
    nodata: int
    skipdata: int
    accepted: int
    rejected: int
    packets: int  # sum over OK records
    bytes: int
    # REJECTs over the whole window (OK records)
    rejects_by_port: dict[tuple[int, int], int]  # (dstport, protocol) -> REJECT count
    reject_sources_by_port: dict[int, frozenset[str]]  # dstport -> distinct REJECTed srcaddr
    first_reject: dict[int, datetime]  # dstport -> earliest REJECT start
    last_reject: dict[int, datetime]  # dstport -> latest REJECT start
    # 1. web HTTP rejected after the security-group change
    change_at: datetime
    web_eni: str
    web_addr: str
    web_port: int
    web_clients: frozenset[str]  # sources of TCP/80 requests to the web server
    web_accepted_before: int  # TCP/80 requests ACCEPTed (all before change_at)
    web_rejected_after: int  # TCP/80 requests REJECTed (all at or after change_at)
    web_last_accept: datetime
    web_first_reject: datetime
    # 2. NACL rejecting return traffic to ephemeral ports
    eph_server_eni: str
    eph_server_addr: str
    eph_server_port: int
    eph_client_cidr: str
    eph_port_range: tuple[int, int]
    eph_requests: int  # ACCEPTed requests to the server port (ingress)
    eph_responses_rejected: int  # REJECTed responses from the server port (egress)
    # 3. SSH
    ssh_bastion_eni: str
    ssh_bastion_addr: str
    ssh_attacker: str
    ssh_admin: str
    ssh_rejects: int  # REJECTs from the attacker on TCP/22
    ssh_admin_accepts: int  # ACCEPTed admin records (both directions)
    # 4. port scans
    scanner: str
    scan_target: str
    scan_ports: frozenset[int]  # distinct ports the scanner probed
    scan_rejects: int
    scan_first: datetime
    scan_last: datetime
    hscanner: str
    hscan_port: int
    hscan_hosts: frozenset[str]
    # 5. NAT gateway traffic that stops
    nat_eni: str
    nat_addr: str
    nat_private_cidr: str
    nat_destination_cidr: str
    nat_stop_at: datetime  # no NAT traffic starts at or after this
    nat_last_start: datetime  # the last NAT record's start
    nat_records: int  # records on the NAT gateway's interface
    nat_flows: int  # records from NAT_PRIVATE_CIDR to NAT_DESTINATION_CIDR (workers' interfaces)
    # 6. NODATA / SKIPDATA
    nodata_enis: frozenset[str]
    skipdata_enis: frozenset[str]
    # 7. IPv6
    ipv6_flows: int  # records with type IPv6
    ipv6_bytes: int
    ipv6_rejects: int
    # 8. ICMP
    icmp_eni: str
    icmp_local_addr: str
    icmp_remote_addr: str
    icmp_accepts: int  # echo requests in, ACCEPT
    icmp_rejects: int  # replies out, REJECT
    # 9. noise
    noise_records: int
    noise_rejects: int
    # the text line written with a double space (lake-relative key), None for Parquet
    double_space_file: str | None


@dataclass(frozen=True)
class SampleLake:
    root: Path  # folder written
    start: datetime  # UTC, first minute covered
    end: datetime  # UTC, exclusive
    files: list[Path]  # in (account, region, delivery time) order, = sorted keys
    records: int  # data lines written (excluding headers)
    expected: Expected
    fields: tuple[str, ...] = DEFAULT_FIELDS  # columns written, in file order
    layout: str = "default"
    hourly: bool = False
    org: str | None = None
    file_format: str = "text"

    def rows(self) -> list[Record]:
        """The records as written: the written columns only, in file order, None for `-`."""
        return [{c: r.get(c) for c in self.fields} for r in self.expected.records]


# ---------------------------------------------------------------------------------------------
# Generation


TCP, UDP, ICMP = 6, 17, 1
IN, OUT = "ingress", "egress"


@dataclass(frozen=True)
class Conn:
    """A flow's addresses, ports and protocol, from the side that sends."""

    src: str
    sport: int
    dst: str
    dport: int
    proto: int = TCP

    def reply(self) -> "Conn":
        return Conn(self.dst, self.dport, self.src, self.sport, self.proto)


def _egress_path(dst: str) -> int:
    address = ipaddress.ip_address(dst)
    return 1 if any(address in net for net in _INSIDE) else 8


class _Generator:
    """Builds the records of a window of `minutes` minutes starting at Unix time `t0`."""

    def __init__(self, t0: int, minutes: int, seed: int) -> None:
        self.t0 = t0
        self.minutes = minutes
        self.seed = seed
        self.scale = min(1.0, minutes / 360)
        self.records: list[Record] = []
        self.labels: list[str] = []

    def rng(self, name: str) -> random.Random:
        # one stream per scenario: changing one scenario leaves the others' records alone
        return random.Random(f"flowlake-sample/{self.seed}/{name}")

    def span(self, minutes: int) -> int:
        return max(1, round(minutes * self.scale))

    def before_end(self, minutes: int) -> int:
        """Minute index `minutes` before the end of a 6-hour lake, scaled for shorter ones."""
        return self.minutes - self.span(minutes)

    def ts(self, minute: int) -> int:
        return self.t0 + 60 * minute

    def flow(
        self,
        label: str,
        minute: int,
        nic: Interface,
        conn: Conn,
        counts: tuple[int, int],
        action: str,
        direction: str,
        when: tuple[int, int],
        *,
        flags: int = 0,
        path: int | None = None,
        pkt: tuple[str, str] | None = None,
        services: tuple[str | None, str | None] = (None, None),
    ) -> None:
        """One record: `when` is (seconds into the minute, duration); end stays in the minute."""
        base = self.ts(minute)
        start = base + when[0]
        if direction == OUT and path is None:
            path = _egress_path(conn.dst)
        pkt_src, pkt_dst = pkt or (conn.src, conn.dst)
        self.records.append(
            {
                "version": None,
                "account_id": nic.account,
                "interface_id": nic.eni,
                "srcaddr": conn.src,
                "dstaddr": conn.dst,
                "srcport": conn.sport,
                "dstport": conn.dport,
                "protocol": conn.proto,
                "packets": counts[0],
                "bytes": counts[1],
                "start": start,
                "end": min(start + when[1], base + 59),
                "action": action,
                "log_status": "OK",
                "vpc_id": nic.vpc,
                "subnet_id": nic.subnet,
                "instance_id": nic.instance,
                "tcp_flags": flags if conn.proto == TCP else 0,
                "type": "IPv6" if ":" in conn.src else "IPv4",
                "pkt_srcaddr": pkt_src,
                "pkt_dstaddr": pkt_dst,
                "region": nic.region,
                "az_id": nic.az,
                "sublocation_type": None,
                "sublocation_id": None,
                "pkt_src_aws_service": services[0],
                "pkt_dst_aws_service": services[1],
                "flow_direction": direction,
                "traffic_path": path if direction == OUT else None,
            }
        )
        self.labels.append(label)

    def status(self, label: str, minute: int, nic: Interface, status: str, offset: int) -> None:
        """A NODATA or SKIPDATA record: no addresses, ports, protocol, counts or action."""
        start = self.ts(minute) + offset
        record: Record = dict.fromkeys(DEFAULT_FIELDS)
        record.update(
            account_id=nic.account,
            interface_id=nic.eni,
            start=start,
            end=start + 58 - offset,
            log_status=status,
            vpc_id=nic.vpc,
            subnet_id=nic.subnet,
            instance_id=nic.instance,
            region=nic.region,
            az_id=nic.az,
        )
        self.records.append(record)
        self.labels.append(label)

    def exchange(
        self,
        label: str,
        minute: int,
        nic: Interface,
        rng: random.Random,
        conn: Conn,
        request: tuple[int, int],
        response: tuple[int, int],
        *,
        server_side: bool,
        path: int | None = None,
        service: str | None = None,
    ) -> None:
        """A completed request (client -> server `conn`) and its response, on one interface."""
        when = (rng.randint(0, 40), rng.randint(1, 50))
        ask, answer = (IN, OUT) if server_side else (OUT, IN)
        self.flow(label, minute, nic, conn, request, "ACCEPT", ask, when, flags=3, path=path,
                  services=(None, service))  # fmt: skip
        self.flow(label, minute, nic, conn.reply(), response, "ACCEPT", answer, when, flags=19,
                  path=path, services=(service, None))  # fmt: skip

    # -- the scenarios ------------------------------------------------------------------------

    def web(self) -> None:
        rng = self.rng("web")
        change = self.before_end(CHANGE_AT_MINUTES)
        for n, minute in enumerate(m for m in range(self.minutes) if (change - m) % WEB_EVERY == 0):
            client = WEB_CLIENTS[n % len(WEB_CLIENTS)]
            conn = Conn(client, rng.randint(49152, 65535), WEB_ADDR, WEB_PORT)
            if minute < change:
                request = (rng.randint(5, 12), rng.randint(600, 1500))
                response = (rng.randint(4, 10), rng.randint(2000, 20000))
                self.exchange("web", minute, WEB, rng, conn, request, response, server_side=True)
            else:  # SYN and two retransmissions, dropped by the security group
                when = (rng.randint(0, 50), rng.randint(3, 7))
                self.flow("web", minute, WEB, conn, (3, 180), "REJECT", IN, when, flags=2)

    def ephemeral(self) -> None:
        rng = self.rng("ephemeral")
        for n, minute in enumerate(range(1, self.minutes, DB_EVERY)):
            client = DB_CLIENTS[n % len(DB_CLIENTS)]
            conn = Conn(client, rng.randint(*EPHEMERAL_PORTS), DB_ADDR, DB_PORT)
            when = (rng.randint(0, 45), rng.randint(3, 7))
            # the request gets in (SYN and retries); the SYN-ACKs die at the subnet's NACL
            self.flow("ephemeral", minute, DB, conn, (3, 180), "ACCEPT", IN, when, flags=2)
            self.flow("ephemeral", minute, DB, conn.reply(), (3, 180), "REJECT", OUT, when,
                      flags=18)  # fmt: skip

    def ssh(self) -> None:
        rng = self.rng("ssh")
        for minute in range(2, self.minutes, SSH_ATTACK_EVERY):
            conn = Conn(SSH_ATTACKER, rng.randint(32768, 60999), BASTION_ADDR, SSH_PORT)
            when = (rng.randint(0, 50), rng.randint(1, 3))
            self.flow("ssh", minute, BASTION, conn, (2, 120), "REJECT", IN, when, flags=2)
        first = self.before_end(SSH_ADMIN_AT_MINUTES)
        last = min(first + self.span(SSH_ADMIN_MINUTES), self.minutes) - 1
        conn = Conn(SSH_ADMIN, rng.randint(49152, 65535), BASTION_ADDR, SSH_PORT)
        for minute in range(first, last + 1):
            fin = 1 if minute == last else 0
            syn, syn_ack = (2, 18) if minute == first else (0, 0)
            when = (5 if minute == first else 0, 30 if minute == last else 59)
            typing = (rng.randint(20, 60), rng.randint(3000, 9000))
            screen = (rng.randint(20, 60), rng.randint(4000, 40000))
            self.flow("ssh", minute, BASTION, conn, typing, "ACCEPT", IN, when, flags=syn | fin)
            self.flow("ssh", minute, BASTION, conn.reply(), screen, "ACCEPT", OUT, when,
                      flags=syn_ack | fin)  # fmt: skip

    def scans(self) -> None:
        rng = self.rng("scan")
        first, length = self.before_end(PORT_SCAN_AT_MINUTES), self.span(PORT_SCAN_MINUTES)
        ports = list(SCAN_PORTS)
        rng.shuffle(ports)
        sport = rng.randint(40000, 65000)  # scanners often keep one source port
        for i, port in enumerate(ports):
            minute = first + i * length // len(ports)
            conn = Conn(SCANNER, sport, SCAN_TARGET_ADDR, port)
            when = (rng.randint(0, 55), 0)
            action = "ACCEPT" if port in SCAN_OPEN_PORTS else "REJECT"
            self.flow("scan", minute, SCAN_TARGET, conn, (1, 44), action, IN, when, flags=2)
            if action == "ACCEPT":  # the SYN-ACK back; the scanner never completes the handshake
                self.flow("scan", minute, SCAN_TARGET, conn.reply(), (1, 44), "ACCEPT", OUT, when,
                          flags=18)  # fmt: skip
        first, length = self.before_end(HSCAN_AT_MINUTES), self.span(HSCAN_MINUTES)
        for i, host in enumerate(FLEET):
            minute = first + i * length // len(FLEET)
            conn = Conn(HSCANNER, rng.randint(1024, 65535), host.addr, HSCAN_PORT)
            when = (rng.randint(0, 55), 0)
            self.flow("hscan", minute, host, conn, (1, 40), "REJECT", IN, when, flags=2)

    def nat(self) -> None:
        """Workers behind the NAT gateway: the AWS-documented legs on both interfaces."""
        rng = self.rng("nat")
        stop = self.before_end(NAT_STOP_MINUTES)
        for n, minute in enumerate(range(stop - 1, -1, -NAT_EVERY)):
            worker = NAT_WORKERS[n % len(NAT_WORKERS)]
            dst, proto, port = NAT_SERVICES[n % len(NAT_SERVICES)]
            inside = Conn(worker.addr, rng.randint(*EPHEMERAL_PORTS), dst, port, proto)
            to_nat = Conn(worker.addr, inside.sport, NAT_ADDR, port, proto)
            outside = Conn(NAT_ADDR, rng.randint(1024, 65535), dst, port, proto)
            if proto == UDP:
                req, resp = (1, rng.randint(60, 80)), (1, rng.randint(90, 300))
            else:
                req = (rng.randint(8, 15), rng.randint(900, 2500))
                resp = (rng.randint(8, 20), rng.randint(4000, 30000))
            when = (rng.randint(0, 40), rng.randint(0, 15))
            f_req, f_resp = 3, 19
            # the worker's own interface: it talks to 8.8.x directly (its route is the NAT)
            self.flow("nat", minute, worker, inside, req, "ACCEPT", OUT, when, flags=f_req, path=1)
            self.flow("nat", minute, worker, inside.reply(), resp, "ACCEPT", IN, when, flags=f_resp)
            # the NAT gateway's interface: worker -> NAT, NAT -> internet, and back; pkt-*
            # addresses carry the original packet's ends as in AWS's NAT gateway example
            self.flow("nat", minute, NAT, to_nat, req, "ACCEPT", IN, when, flags=f_req,
                      pkt=(worker.addr, dst))  # fmt: skip
            self.flow("nat", minute, NAT, outside, req, "ACCEPT", OUT, when, flags=f_req, path=8)
            self.flow("nat", minute, NAT, outside.reply(), resp, "ACCEPT", IN, when, flags=f_resp)
            self.flow("nat", minute, NAT, to_nat.reply(), resp, "ACCEPT", OUT, when, flags=f_resp,
                      path=1, pkt=(dst, worker.addr))  # fmt: skip

    def statuses(self) -> None:
        rng = self.rng("status")
        for minute in range(0, self.minutes, NODATA_EVERY):
            self.status("status", minute, IDLE_A, "NODATA", rng.randint(0, 20))
            if minute + 7 < self.minutes:
                self.status("status", minute + 7, IDLE_B, "NODATA", rng.randint(0, 20))
        first = self.before_end(SKIPDATA_AT_MINUTES)
        for minute in range(first, min(first + SKIPDATA_RECORDS, self.minutes)):
            self.status("status", minute, BATCH, "SKIPDATA", rng.randint(0, 20))

    def ipv6(self) -> None:
        rng = self.rng("ipv6")
        half = IPV6_EVERY // 2
        for minute in range(0, self.minutes, IPV6_EVERY):
            conn = Conn(IPV6_JUMP, rng.randint(32768, 60999), IPV6_HOST, SSH_PORT)
            request = (rng.randint(20, 60), rng.randint(3000, 9000))
            response = (rng.randint(20, 60), rng.randint(5000, 20000))
            self.exchange("ipv6", minute, IPV6, rng, conn, request, response, server_side=True)
            if minute + half < self.minutes:
                conn = Conn(IPV6_HOST, rng.randint(32768, 60999), IPV6_SERVICE, 443)
                request = (rng.randint(6, 12), rng.randint(800, 2000))
                response = (rng.randint(8, 30), rng.randint(5000, 60000))
                self.exchange("ipv6", minute + half, IPV6, rng, conn, request, response,
                              server_side=False)  # fmt: skip
        for i in range(IPV6_REJECTS):
            minute = (i + 1) * self.minutes // (IPV6_REJECTS + 1)
            conn = Conn(IPV6_REJECTED, rng.randint(32768, 60999), IPV6_HOST, IPV6_REJECT_PORT)
            when = (rng.randint(0, 50), rng.randint(1, 3))
            self.flow("ipv6", minute, IPV6, conn, (2, 160), "REJECT", IN, when, flags=2)

    def icmp(self) -> None:
        rng = self.rng("icmp")
        echo = Conn(ICMP_REMOTE, 0, ICMP_LOCAL, 0, ICMP)
        for minute in range(5, self.minutes, ICMP_EVERY):
            offset = rng.randint(0, 30)
            # as in AWS's example: 4 echo requests in, the 4 replies dropped on the way out
            self.flow("icmp", minute, MONITORED, echo, (4, 336), "ACCEPT", IN, (offset, 25))
            self.flow("icmp", minute, MONITORED, echo.reply(), (4, 336), "REJECT", OUT,
                      (offset + 2, 23))  # fmt: skip

    def noise(self) -> None:
        rng = self.rng("noise")
        skip_first = self.before_end(SKIPDATA_AT_MINUTES)
        skipped = range(skip_first, skip_first + SKIPDATA_RECORDS)

        def https(
            client: str, server: str, big: bool
        ) -> tuple[Conn, tuple[int, int], tuple[int, int]]:
            conn = Conn(client, rng.randint(*EPHEMERAL_PORTS), server, 443)
            small = (rng.randint(5, 15), rng.randint(600, 2500))
            large = (rng.randint(20, 200), rng.randint(20000, 300000))
            return (conn, large, small) if big else (conn, small, large)

        for minute in range(self.minutes):
            if rng.random() < 0.35:  # HTTPS to the web server (its security group still has 443)
                conn, req, resp = https(rng.choice(INTERNET_CLIENTS), WEB_ADDR, False)
                self.exchange("noise", minute, WEB, rng, conn, req, resp, server_side=True)
            if minute % 4 == 1:  # an app host reads from S3 through the gateway endpoint
                app = APP[minute // 4 % len(APP)]
                conn, req, resp = https(app.addr, rng.choice(S3_ADDRS[:2]), False)
                self.exchange("noise", minute, app, rng, conn, req, resp, server_side=False,
                              path=7, service="S3")  # fmt: skip
            if minute % 6 == 3:  # internal API call, seen on both interfaces
                app = APP[minute // 6 % len(APP)]
                conn = Conn(app.addr, rng.randint(*EPHEMERAL_PORTS), API.addr, API_PORT)
                req = (rng.randint(4, 10), rng.randint(400, 1500))
                resp = (rng.randint(4, 12), rng.randint(600, 8000))
                self.exchange("noise", minute, app, rng, conn, req, resp, server_side=False)
                for record in self.records[-2:]:
                    mirror = dict(record, interface_id=API.eni, subnet_id=API.subnet,
                                  az_id=API.az, instance_id=API.instance)  # fmt: skip
                    outbound = record["flow_direction"] == IN
                    mirror.update(flow_direction=OUT if outbound else IN,
                                  traffic_path=1 if outbound else None)  # fmt: skip
                    self.records.append(mirror)
                    self.labels.append("noise")
            if minute % 4 == 0:  # account A, eu-west-1: a reporting job calls an internet API
                conn, req, resp = https(REPORTING.addr, rng.choice(INTERNET_CLIENTS[4:]), False)
                self.exchange("noise", minute, REPORTING, rng, conn, req, resp, server_side=False)
            if rng.random() < 0.3:  # account B, eu-west-1: a public HTTPS service
                conn, req, resp = https(rng.choice(INTERNET_CLIENTS), SERVICE_B.addr, False)
                self.exchange("noise", minute, SERVICE_B, rng, conn, req, resp, server_side=True)
            if minute % 3 == 2 and minute not in skipped:  # account B, us-east-1: batch uploads
                conn, req, resp = https(BATCH.addr, rng.choice(S3_ADDRS[2:]), True)
                self.exchange("noise", minute, BATCH, rng, conn, req, resp, server_side=False,
                              path=8, service="S3")  # fmt: skip
        targets = (SERVICE_B, REPORTING)
        for i in range(NOISE_REJECTS):
            minute = rng.randrange(self.minutes)
            target = targets[i % len(targets)]
            conn = Conn(rng.choice(NOISE_REJECT_SOURCES), rng.randint(1024, 65535), target.addr,
                        rng.choice(NOISE_REJECT_PORTS))  # fmt: skip
            when = (rng.randint(0, 55), 0)
            self.flow("noise", minute, target, conn, (1, 40), "REJECT", IN, when, flags=2)

    def build(self) -> tuple[list[Record], list[str]]:
        for scenario in (self.web, self.ephemeral, self.ssh, self.scans, self.nat, self.statuses,
                         self.ipv6, self.icmp, self.noise):  # fmt: skip
            scenario()
        order = sorted(
            range(len(self.records)),
            key=lambda i: (
                self.records[i]["account_id"],
                self.records[i]["region"],
                self.records[i]["start"],
            ),
        )  # stable: ties keep generation order
        return [self.records[i] for i in order], [self.labels[i] for i in order]


# ---------------------------------------------------------------------------------------------
# Expected answers


def _int(value: Value) -> int:
    assert isinstance(value, int), value
    return value


def _utc(ts: Value) -> datetime:
    return datetime.fromtimestamp(_int(ts), UTC)


def _in(addr: Value, cidr: str) -> bool:
    if not isinstance(addr, str):
        return False
    try:
        return ipaddress.ip_address(addr) in ipaddress.ip_network(cidr)
    except ValueError:
        return False


def _expected(
    records: Sequence[Record],
    labels: Sequence[str],
    *,
    start: datetime,
    end: datetime,
    version: int,
    gen: _Generator,
    double_space_file: str | None,
) -> Expected:
    ok = [r for r in records if r["log_status"] == "OK"]
    rejects = [r for r in ok if r["action"] == "REJECT"]

    def starts(rows: Iterable[Record]) -> list[int]:
        return sorted(_int(r["start"]) for r in rows)

    def count(rows: Iterable[Record], **where: Value) -> int:
        return sum(all(r[k] == v for k, v in where.items()) for r in rows)

    rejects_by_port: Counter[tuple[int, int]] = Counter()
    sources: dict[int, set[str]] = defaultdict(set)
    reject_starts: dict[int, list[int]] = defaultdict(list)
    for r in rejects:
        port, proto = r["dstport"], r["protocol"]
        assert isinstance(port, int) and isinstance(proto, int)
        rejects_by_port[(port, proto)] += 1
        sources[port].add(str(r["srcaddr"]))
        reject_starts[port].append(_int(r["start"]))

    web = [r for r in ok if r["interface_id"] == WEB_ENI and r["dstport"] == WEB_PORT]
    scan = [r for r in ok if r["srcaddr"] == SCANNER]
    nat = [r for r in records if r["interface_id"] == NAT_ENI]
    nat_flows = [
        r
        for r in ok
        if _in(r["srcaddr"], NAT_PRIVATE_CIDR) and _in(r["dstaddr"], NAT_DESTINATION_CIDR)
    ]
    nat_all = nat + nat_flows
    ipv6 = [r for r in ok if r["type"] == "IPv6"]
    icmp = [r for r in ok if r["interface_id"] == ICMP_ENI and r["protocol"] == 1]
    noise = [r for r, label in zip(records, labels, strict=True) if label == "noise"]
    return Expected(
        start=start,
        end=end,
        version=version,
        records=tuple(records),
        scenarios=tuple(labels),
        scenario_counts=dict(sorted(Counter(labels).items())),
        per_account_region=dict(
            sorted(Counter((str(r["account_id"]), str(r["region"])) for r in records).items())
        ),
        total=len(records),
        ok=len(ok),
        nodata=count(records, log_status="NODATA"),
        skipdata=count(records, log_status="SKIPDATA"),
        accepted=count(ok, action="ACCEPT"),
        rejected=len(rejects),
        packets=sum(_int(r["packets"]) for r in ok),
        bytes=sum(_int(r["bytes"]) for r in ok),
        rejects_by_port=dict(sorted(rejects_by_port.items())),
        reject_sources_by_port={p: frozenset(s) for p, s in sorted(sources.items())},
        first_reject={p: _utc(min(s)) for p, s in sorted(reject_starts.items())},
        last_reject={p: _utc(max(s)) for p, s in sorted(reject_starts.items())},
        change_at=_utc(gen.ts(gen.before_end(CHANGE_AT_MINUTES))),
        web_eni=WEB_ENI,
        web_addr=WEB_ADDR,
        web_port=WEB_PORT,
        web_clients=frozenset(str(r["srcaddr"]) for r in web if r["flow_direction"] == "ingress"),
        web_accepted_before=count(web, action="ACCEPT", flow_direction="ingress"),
        web_rejected_after=count(web, action="REJECT"),
        web_last_accept=_utc(starts(r for r in web if r["action"] == "ACCEPT")[-1]),
        web_first_reject=_utc(starts(r for r in web if r["action"] == "REJECT")[0]),
        eph_server_eni=DB_ENI,
        eph_server_addr=DB_ADDR,
        eph_server_port=DB_PORT,
        eph_client_cidr=DB_CLIENT_CIDR,
        eph_port_range=EPHEMERAL_PORTS,
        eph_requests=count(ok, interface_id=DB_ENI, dstport=DB_PORT, action="ACCEPT"),
        eph_responses_rejected=count(ok, interface_id=DB_ENI, srcport=DB_PORT, action="REJECT"),
        ssh_bastion_eni=BASTION_ENI,
        ssh_bastion_addr=BASTION_ADDR,
        ssh_attacker=SSH_ATTACKER,
        ssh_admin=SSH_ADMIN,
        ssh_rejects=count(rejects, srcaddr=SSH_ATTACKER, dstport=SSH_PORT),
        ssh_admin_accepts=sum(
            SSH_ADMIN in (r["srcaddr"], r["dstaddr"]) and r["action"] == "ACCEPT" for r in ok
        ),
        scanner=SCANNER,
        scan_target=SCAN_TARGET_ADDR,
        scan_ports=frozenset(_int(r["dstport"]) for r in scan),
        scan_rejects=count(scan, action="REJECT"),
        scan_first=_utc(starts(scan)[0]),
        scan_last=_utc(starts(scan)[-1]),
        hscanner=HSCANNER,
        hscan_port=HSCAN_PORT,
        hscan_hosts=frozenset(
            str(r["dstaddr"]) for r in ok if r["srcaddr"] == HSCANNER and r["dstport"] == HSCAN_PORT
        ),
        nat_eni=NAT_ENI,
        nat_addr=NAT_ADDR,
        nat_private_cidr=NAT_PRIVATE_CIDR,
        nat_destination_cidr=NAT_DESTINATION_CIDR,
        nat_stop_at=_utc(gen.ts(gen.before_end(NAT_STOP_MINUTES))),
        nat_last_start=_utc(starts(nat_all)[-1]),
        nat_records=len(nat),
        nat_flows=len(nat_flows),
        nodata_enis=frozenset(
            str(r["interface_id"]) for r in records if r["log_status"] == "NODATA"
        ),
        skipdata_enis=frozenset(
            str(r["interface_id"]) for r in records if r["log_status"] == "SKIPDATA"
        ),
        ipv6_flows=len(ipv6),
        ipv6_bytes=sum(_int(r["bytes"]) for r in ipv6),
        ipv6_rejects=count(ipv6, action="REJECT"),
        icmp_eni=ICMP_ENI,
        icmp_local_addr=ICMP_LOCAL,
        icmp_remote_addr=ICMP_REMOTE,
        icmp_accepts=count(icmp, action="ACCEPT", dstaddr=ICMP_LOCAL),
        icmp_rejects=count(icmp, action="REJECT", srcaddr=ICMP_LOCAL),
        noise_records=len(noise),
        noise_rejects=count(noise, action="REJECT"),
        double_space_file=double_space_file,
    )


# ---------------------------------------------------------------------------------------------
# Writing


def _normalize_now(now: datetime | None) -> datetime:
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(UTC).replace(second=0, microsecond=0)


def _resolve_fields(fields: Sequence[str] | None) -> tuple[str, ...]:
    if fields is None:
        return DEFAULT_FIELDS
    if isinstance(fields, str):
        raise TypeError("fields must be a list of column names, not a string")
    columns = tuple(registry.column_name(f) for f in fields)
    known = registry.by_column()
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ValueError(f"unknown flow-log field(s): {', '.join(unknown)}")
    if not columns:
        raise ValueError("fields must name at least one column")
    if len(set(columns)) != len(columns):
        raise ValueError("fields must not repeat a column")
    return columns


def flow_log_id(account: str, region: str, fields: Sequence[str] = DEFAULT_FIELDS) -> str:
    """The flow log an (account, region) writes with `fields`: AWS cannot change a flow log's
    format, so each format gets its own id and lakes of several formats can share a folder."""
    if tuple(fields) == DEFAULT_FIELDS:
        return FLOW_LOG_IDS[(account, region)]
    digest = hashlib.sha256(f"{account}/{region}/{' '.join(fields)}".encode()).hexdigest()
    return "fl-0" + digest[:16]


def format_version(fields: Sequence[str]) -> int:
    """AWS's `version` for a format: the highest version among its fields (2 at least)."""
    known = registry.by_column()
    return max([2, *(known[c].version for c in fields if c in known)])


def _text(columns: Sequence[str], rows: Sequence[Record], double_space: bool) -> bytes:
    header = " ".join(registry.by_column()[c].aws_name for c in columns)
    lines = [header]
    for i, row in enumerate(rows):
        values = ["-" if row.get(c) is None else str(row.get(c)) for c in columns]
        if i == 0 and double_space and len(values) >= 3:
            # AWS's documentation shows such a line: readers must split on runs of spaces
            lines.append(" ".join(values[:2]) + "  " + " ".join(values[2:]))
        else:
            lines.append(" ".join(values))
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:  # mtime=0: same bytes each run
        gz.write(("\n".join(lines) + "\n").encode())
    return buffer.getvalue()


def _parquet(columns: Sequence[str], rows: Sequence[Record]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"INTEGER": pa.int32(), "BIGINT": pa.int64()}
    known = registry.by_column()
    schema = pa.schema([pa.field(c, types.get(known[c].duckdb_type, pa.string())) for c in columns])
    table = pa.Table.from_pydict({c: [row.get(c) for row in rows] for c in columns}, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_sample_lake(
    root: Path | str,
    *,
    now: datetime | None = None,
    hours: int = 6,
    layout: str = "default",
    hourly: bool = False,
    org: str | None = None,
    file_format: str = "text",
    fields: list[str] | None = None,
    seed: int = 7,
) -> SampleLake:
    """Write a sample lake covering `[now - hours, now)` under `root` and return its answers.

    `now` defaults to the current UTC minute (a naive datetime is taken as UTC; seconds are
    dropped). The records depend only on (now, hours, seed), not on layout, hourly, org,
    file_format or fields (which choose the columns written and the `version` value); the
    same arguments give the same bytes. Files already under `root` are left alone.
    """
    if layout not in aws_layout.LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(aws_layout.LAYOUTS)}, not {layout!r}")
    if file_format not in FILE_FORMATS:
        raise ValueError(f"file_format must be one of {', '.join(FILE_FORMATS)}")
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 24 * 31:
        raise ValueError("hours must be a whole number of hours between 1 and 744")
    if org is not None and not org.startswith("o-"):
        raise ValueError(f"an organization id starts with 'o-', not {org!r}")
    columns = _resolve_fields(fields)
    version = format_version(columns)
    end = _normalize_now(now)
    start = end - timedelta(hours=hours)
    t0 = int(start.timestamp())

    gen = _Generator(t0, hours * 60, seed)
    records, labels = gen.build()
    for record in records:
        record["version"] = version

    parquet = file_format == "parquet"
    groups: dict[tuple[str, str, int], list[Record]] = defaultdict(list)
    for record in records:
        chunk = (_int(record["start"]) - t0) // (DELIVERY_MINUTES * 60)
        groups[(str(record["account_id"]), str(record["region"]), chunk)].append(record)

    root = Path(root)
    files: list[Path] = []
    double_space_file: str | None = None
    for (account, region, chunk), rows in sorted(groups.items()):
        delivered = start + timedelta(minutes=DELIVERY_MINUTES * (chunk + 1))
        flow_log = flow_log_id(account, region, columns)
        stamp = f"{delivered:%Y%m%dT%H%MZ}"
        digest = hashlib.sha256(f"{seed}/{flow_log}/{stamp}".encode()).hexdigest()[:8]
        key = aws_layout.object_key(
            aws_layout.Partition(layout, account, region, org),
            delivered,
            flow_log,
            digest,
            hourly=hourly,
            parquet=parquet,
        )
        double_space = (
            not parquet
            and double_space_file is None
            and (account, region) == (ACCOUNT_A, US_EAST_1)
        )
        if double_space and len(columns) >= 3:
            double_space_file = key
        data = _parquet(columns, rows) if parquet else _text(columns, rows, double_space)
        path = root / key
        _write_atomic(path, data)
        files.append(path)

    expected = _expected(
        records,
        labels,
        start=start,
        end=end,
        version=version,
        gen=gen,
        double_space_file=double_space_file,
    )
    return SampleLake(
        root=root,
        start=start,
        end=end,
        files=files,
        records=len(records),
        expected=expected,
        fields=columns,
        layout=layout,
        hourly=hourly,
        org=org,
        file_format=file_format,
    )


__all__ = [
    "DEFAULT_FIELDS",
    "Expected",
    "SampleLake",
    "flow_log_id",
    "format_version",
    "write_sample_lake",
]

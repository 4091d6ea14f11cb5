"""Service names for the TCP and UDP ports most often seen in AWS traffic.

A small curated table, not the full IANA service registry: names are the ones people type in a
filter (`dstport=ssh`), and each entry is tied to the transport(s) it really runs over.
"""

from __future__ import annotations

from dataclasses import dataclass

TCP = 6
UDP = 17
_BOTH = frozenset({TCP, UDP})
_TCP = frozenset({TCP})
_UDP = frozenset({UDP})
#: Transports whose headers carry ports: TCP, UDP, DCCP, SCTP, UDP-Lite.
_PORTED_PROTOCOLS = frozenset({TCP, UDP, 33, 132, 136})
_HIGHEST_PORT = 65535
#: Linux starts its ephemeral range here (Windows at 49152); client ports usually sit above it.
_EPHEMERAL_START = 32768
_REGISTERED_START = 1024


@dataclass(frozen=True, slots=True)
class _Service:
    port: int
    name: str
    transports: frozenset[int]
    description: str
    aliases: tuple[str, ...] = ()


_SERVICES: tuple[_Service, ...] = (
    _Service(20, "ftp-data", _TCP, "FTP data transfer"),
    _Service(21, "ftp", _TCP, "FTP control"),
    _Service(22, "ssh", _TCP, "Secure Shell remote login"),
    _Service(23, "telnet", _TCP, "Telnet (unencrypted remote login)"),
    _Service(25, "smtp", _TCP, "SMTP mail relay"),
    _Service(53, "dns", _BOTH, "Domain Name System", ("domain",)),
    _Service(67, "dhcp-server", _UDP, "DHCP server", ("bootps",)),
    _Service(68, "dhcp-client", _UDP, "DHCP client", ("bootpc",)),
    _Service(69, "tftp", _UDP, "Trivial File Transfer Protocol"),
    _Service(80, "http", _TCP, "HTTP web traffic", ("www",)),
    _Service(88, "kerberos", _BOTH, "Kerberos authentication"),
    _Service(110, "pop3", _TCP, "POP3 mail retrieval"),
    _Service(111, "sunrpc", _BOTH, "ONC RPC port mapper (NFS helper)", ("rpcbind", "portmapper")),
    _Service(123, "ntp", _UDP, "Network Time Protocol"),
    _Service(135, "msrpc", _TCP, "Microsoft RPC endpoint mapper", ("epmap",)),
    _Service(137, "netbios-ns", _UDP, "NetBIOS name service"),
    _Service(138, "netbios-dgm", _UDP, "NetBIOS datagram service"),
    _Service(139, "netbios-ssn", _TCP, "NetBIOS session service (older SMB)"),
    _Service(143, "imap", _TCP, "IMAP mail access"),
    _Service(161, "snmp", _UDP, "SNMP monitoring"),
    _Service(162, "snmptrap", _UDP, "SNMP traps"),
    _Service(179, "bgp", _TCP, "BGP routing"),
    _Service(389, "ldap", _BOTH, "LDAP directory (Active Directory)"),
    _Service(443, "https", _BOTH, "HTTPS (TLS over TCP, or QUIC / HTTP/3 over UDP)"),
    _Service(445, "smb", _TCP, "SMB file sharing", ("microsoft-ds", "cifs")),
    _Service(464, "kpasswd", _BOTH, "Kerberos password change"),
    _Service(465, "smtps", _TCP, "SMTP mail submission over TLS"),
    _Service(500, "ike", _UDP, "IPsec key exchange (site-to-site VPN)", ("isakmp",)),
    _Service(514, "syslog", _BOTH, "Syslog"),
    _Service(587, "submission", _TCP, "SMTP mail submission"),
    _Service(636, "ldaps", _TCP, "LDAP over TLS"),
    _Service(853, "dns-over-tls", _TCP, "DNS over TLS"),
    _Service(873, "rsync", _TCP, "rsync file synchronisation"),
    _Service(990, "ftps", _TCP, "FTP control over TLS"),
    _Service(993, "imaps", _TCP, "IMAP over TLS"),
    _Service(995, "pop3s", _TCP, "POP3 over TLS"),
    _Service(1194, "openvpn", _BOTH, "OpenVPN"),
    _Service(1433, "mssql", _TCP, "Microsoft SQL Server", ("ms-sql-s",)),
    _Service(1434, "mssql-browser", _UDP, "Microsoft SQL Server browser", ("ms-sql-m",)),
    _Service(1521, "oracle", _TCP, "Oracle database listener"),
    _Service(1701, "l2tp", _UDP, "L2TP VPN"),
    _Service(1723, "pptp", _TCP, "PPTP VPN"),
    _Service(1812, "radius", _UDP, "RADIUS authentication"),
    _Service(1813, "radius-acct", _UDP, "RADIUS accounting"),
    _Service(2049, "nfs", _BOTH, "NFS file system (Amazon EFS)"),
    _Service(2181, "zookeeper", _TCP, "Apache ZooKeeper"),
    _Service(2375, "docker", _TCP, "Docker API (unencrypted)"),
    _Service(2376, "docker-tls", _TCP, "Docker API over TLS"),
    _Service(2379, "etcd", _TCP, "etcd client API"),
    _Service(3268, "ldap-gc", _TCP, "Active Directory global catalog"),
    _Service(3306, "mysql", _TCP, "MySQL / MariaDB / Aurora MySQL"),
    _Service(3389, "rdp", _BOTH, "Remote Desktop Protocol", ("ms-wbt-server",)),
    _Service(4500, "ipsec-nat-t", _UDP, "IPsec NAT traversal (site-to-site VPN)"),
    _Service(4789, "vxlan", _UDP, "VXLAN encapsulation"),
    _Service(5060, "sip", _BOTH, "SIP voice signalling"),
    _Service(5353, "mdns", _UDP, "Multicast DNS"),
    _Service(5432, "postgresql", _TCP, "PostgreSQL / Aurora PostgreSQL", ("postgres",)),
    _Service(5439, "redshift", _TCP, "Amazon Redshift"),
    _Service(5671, "amqps", _TCP, "AMQP over TLS (Amazon MQ)"),
    _Service(5672, "amqp", _TCP, "AMQP message queue (RabbitMQ)"),
    _Service(5900, "vnc", _TCP, "VNC remote desktop"),
    _Service(5985, "winrm", _TCP, "Windows Remote Management over HTTP"),
    _Service(5986, "winrm-https", _TCP, "Windows Remote Management over HTTPS"),
    _Service(6081, "geneve", _UDP, "GENEVE encapsulation (Gateway Load Balancer)"),
    _Service(6379, "redis", _TCP, "Redis / Valkey (ElastiCache)"),
    _Service(6443, "kubernetes-api", _TCP, "Kubernetes API server"),
    _Service(8080, "http-alt", _TCP, "Alternative HTTP port"),
    _Service(8443, "https-alt", _TCP, "Alternative HTTPS port"),
    _Service(9042, "cassandra", _TCP, "Cassandra CQL (Amazon Keyspaces)"),
    _Service(9090, "prometheus", _TCP, "Prometheus server"),
    _Service(9092, "kafka", _TCP, "Apache Kafka (Amazon MSK, plaintext)"),
    _Service(9094, "kafka-tls", _TCP, "Apache Kafka over TLS (Amazon MSK)"),
    _Service(9200, "elasticsearch", _TCP, "Elasticsearch / OpenSearch HTTP API"),
    _Service(9300, "elasticsearch-transport", _TCP, "Elasticsearch node-to-node transport"),
    _Service(10250, "kubelet", _TCP, "Kubernetes kubelet API"),
    _Service(11211, "memcached", _BOTH, "Memcached (ElastiCache)"),
    _Service(27017, "mongodb", _TCP, "MongoDB / Amazon DocumentDB", ("mongo",)),
)

_BY_PORT: dict[int, _Service] = {service.port: service for service in _SERVICES}
_BY_NAME: dict[str, int] = {
    name: service.port for service in _SERVICES for name in (service.name, *service.aliases)
}


def _service(port: int, protocol: int | None) -> _Service | None:
    service = _BY_PORT.get(port)
    if service is None or (protocol is not None and protocol not in service.transports):
        return None
    return service


def port_service(port: int, protocol: int | None = None) -> str | None:
    """The service name for a port ("ssh" for 22), or None.

    With a protocol number, the port must carry that service over that transport: 123 is "ntp"
    over UDP but nothing over TCP, and ICMP "ports" never name a service.
    """
    found = _service(port, protocol)
    return found.name if found else None


def port_description(port: int, protocol: int | None = None) -> str:
    """One line on what a port is: its service, or which port range it falls in."""
    found = _service(port, protocol)
    if found is not None:
        return f"{found.name}: {found.description}"
    if protocol is not None and protocol not in _PORTED_PROTOCOLS:
        return "Ports do not apply to this protocol"
    if not 0 <= port <= _HIGHEST_PORT:
        return f"Not a valid port (0-{_HIGHEST_PORT})"
    if port >= _EPHEMERAL_START:
        return "Ephemeral port range: usually the client end of a connection"
    if port >= _REGISTERED_START:
        return "Registered port range; no common service known"
    return "Well-known port range; no common service known"


def port_number(name: str) -> int | None:
    """The port for a service name or alias ("ssh", "HTTPS", "postgres"), or a decimal port."""
    text = name.strip().lower()
    if text.isascii() and text.isdecimal():
        port = int(text)
        return port if port <= _HIGHEST_PORT else None
    return _BY_NAME.get(text)

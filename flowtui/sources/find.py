"""Find an IP address, instance id, ENI id or Name tag: which ENI, which stream, which flow log.

The answer says where the ENI's records are (the stream named after it in each group its flow
logs deliver to) and, when no flow log covers the ENI, its subnet or its VPC, says so: an
empty search then means "not logged", not "no traffic".
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from flowtui.sources.aws import AwsConnection, NotFoundError, SourceError
from flowtui.sources.ec2 import Ec2Lookups, shared_lookups
from flowtui.sources.ec2_resources import EniInfo, FlowLogInfo
from flowtui.sources.log_groups import list_streams
from flowtui.sources.ratelimit import RateLimiter


@dataclass(frozen=True, slots=True)
class StreamLocation:
    group: str
    stream: str
    last_ingestion_ms: int | None


@dataclass(frozen=True, slots=True)
class FindResult:
    query: str
    #: "ENI id", "instance id", "private IP", "public IP", "IPv6 address" or "Name tag".
    matched_by: str
    eni: EniInfo
    streams: tuple[StreamLocation, ...]
    #: Flow logs on the ENI, its subnet or its VPC; None when they could not be read.
    flow_logs: tuple[FlowLogInfo, ...] | None

    @property
    def covered(self) -> bool | None:
        return None if self.flow_logs is None else bool(self.flow_logs)

    @property
    def coverage(self) -> str:
        """One line about coverage: the flow logs, or why there are none."""
        if self.flow_logs is None:
            return "coverage unknown (ec2:DescribeFlowLogs could not be read)"
        if not self.flow_logs:
            return (
                f"no flow log covers {self.eni.id} (subnet {self.eni.subnet_id or '?'}, "
                f"VPC {self.eni.vpc_id or '?'})"
            )
        return "covered by " + ", ".join(
            f"{f.id} on {f.resource_id} ({f.traffic_type})" for f in self.flow_logs
        )


def find(
    conn: AwsConnection,
    limiter: RateLimiter,
    text: str,
    *,
    groups: Sequence[str] = (),
    lookups: Ec2Lookups | None = None,
    cancel: threading.Event | None = None,
) -> list[FindResult]:
    """ENIs matching `text`, with their streams and coverage.

    `groups` are searched for the ENI's stream in addition to the groups of its flow logs
    (useful when flow logs cannot be read, or deliver from another account).
    """
    lookups = lookups or shared_lookups(conn, limiter)
    matches = _matching_enis(lookups, text.strip())
    results = []
    for matched_by, eni in matches:
        flow_logs = lookups.covering_flow_logs(eni)
        search = dict.fromkeys([*(f.log_group for f in flow_logs or () if f.log_group), *groups])
        streams = tuple(
            location
            for group in search
            for location in _streams_of(conn, limiter, group, eni.id, cancel)
        )
        results.append(FindResult(text.strip(), matched_by, eni, streams, flow_logs))
    return results


def _matching_enis(lookups: Ec2Lookups, text: str) -> list[tuple[str, EniInfo]]:
    if not text:
        raise SourceError(
            "find needs an IP address, an instance id (i-...), an ENI id (eni-...) or a Name tag"
        )
    if text.startswith("eni-"):
        eni = lookups.interface(text)
        return [("ENI id", eni)] if eni.known else []
    if text.startswith("i-"):
        return _tagged("instance id", lookups.interfaces_matching("attachment.instance-id", [text]))
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return _by_name(lookups, text)
    if address.version == 4:
        private = lookups.interfaces_matching("addresses.private-ip-address", [text])
        if private:
            return _tagged("private IP", private)
    # Public and IPv6 addresses are matched here rather than with EC2 filters, which some
    # endpoints (moto) do not implement; public IPs are rare enough for one listing.
    everything = lookups.all_interfaces()
    canonical = str(address)
    if address.version == 6:
        return _tagged("IPv6 address", [e for e in everything if canonical in e.ipv6_ips])
    return _tagged("public IP", [e for e in everything if e.public_ip == canonical])


def _by_name(lookups: Ec2Lookups, name: str) -> list[tuple[str, EniInfo]]:
    instance_ids = [instance.id for instance in lookups.instances_named(name)]
    enis = (
        lookups.interfaces_matching("attachment.instance-id", instance_ids) if instance_ids else []
    )
    tagged = lookups.interfaces_matching("tag:Name", [name])
    unique = {eni.id: eni for eni in [*enis, *tagged]}
    return _tagged("Name tag", list(unique.values()))


def _tagged(matched_by: str, enis: list[EniInfo]) -> list[tuple[str, EniInfo]]:
    return [(matched_by, eni) for eni in enis]


def _streams_of(
    conn: AwsConnection,
    limiter: RateLimiter,
    group: str,
    eni_id: str,
    cancel: threading.Event | None,
) -> list[StreamLocation]:
    try:
        streams = list_streams(conn, limiter, group, prefix=eni_id, enrich=False, cancel=cancel)
    except NotFoundError:
        return []  # a flow log may point at a group that was deleted since
    return [StreamLocation(group, s.name, s.last_ingestion_ms) for s in streams]

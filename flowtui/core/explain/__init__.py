"""Explain a flow record: which network ACL rule or security group decided it.

`explain` judges one record (`FlowFacts`) against today's rules (a `NetworkModel`) with AWS's
semantics, and says in plain words what decided it, step by step:

- Network ACLs sit at subnet boundaries, not at the interface: traffic inside one subnet
  crosses none; traffic between two subnets of the VPC crosses the sender's outbound and the
  receiver's inbound ACL; traffic to or from outside the VPC crosses the interface's subnet
  ACL in its direction. Rules go in ascending number, the first match wins, and the final
  deny applies whether or not the data lists it. ACLs are stateless: a response is judged on
  its own direction.
- Security groups allow only, and are the union of the interface's groups. They are stateful:
  a record that looks like a response is allowed when the connection it answers is. Some
  interfaces (NAT gateways, transit gateway attachments...) have no groups at all.
- Matching uses the packet's own addresses (`pkt-srcaddr`/`pkt-dstaddr` when present).

The rules are current and the record is history; verdicts say so whenever that matters.

Modules, in the order a verdict is made:

- `facts`: the record as input (`FlowFacts`, `RecordError`).
- `verdict`: what decided it, as data (`Verdict`, `RuleRef`) and as JSON.
- `trace`: what the checks share: the packet, the steps taken, the findings, the small words.
- `acls`: the path through network ACL boundaries and the walk through their rules.
- `groups`: the interface's security groups, with stateful responses.
- `narrate`: the verdict in words, and the entry point `explain`.
"""

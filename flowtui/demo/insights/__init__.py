"""CloudWatch Logs Insights for the demo endpoint: the query language subset flowtui emits (and
AWS's sample queries for VPC flow logs), evaluated over moto's stored events.

`service.install()` makes the moto served in this process answer StartQuery, GetQueryResults,
StopQuery and DescribeQueries with it. Demo tooling only: flowtui's own query path never
imports this package.
"""

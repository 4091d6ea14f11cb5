"""CloudWatch Logs Insights as flowtui's server-side engine: the filter language translated to
Insights syntax (`translate`), and the stats tables computed by Insights queries (`tables`).
Pure: the queries are run by the caller (`flowtui.sources.insights`)."""

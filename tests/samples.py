"""Reads tests/data/aws-docs-examples.txt: blocks of '# format:' then records and '# expect:'."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SAMPLES = Path(__file__).parent / "data" / "aws-docs-examples.txt"


@dataclass
class SampleBlock:
    format_names: list[str]
    records: list[str] = field(default_factory=list)
    expectations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def sample_blocks() -> list[SampleBlock]:
    blocks: list[SampleBlock] = []
    for raw in SAMPLES.read_text().splitlines():
        if raw.startswith("# format:"):
            blocks.append(SampleBlock(raw.removeprefix("# format:").split()))
        elif raw.startswith("# expect:") and blocks:
            blocks[-1].expectations.append(raw.removeprefix("# expect:").strip())
        elif raw.startswith("# note:") and blocks:
            blocks[-1].notes.append(raw.removeprefix("# note:").strip())
        elif raw and not raw.startswith("#") and blocks:
            blocks[-1].records.append(raw)
    return blocks

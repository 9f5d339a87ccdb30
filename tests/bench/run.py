"""`make bench`: runs the bench's sections (all of them, or those named), each printing its report against its
targets, at the quick volume (minutes) or the full one (over an hour). Each section's report is also written to
build/bench/<name>.txt and, with --write-docs, into its marked block of docs/benchmarks.md. Ends with the verdicts'
summary; exits 1 when a target is missed or a section fails. Wall-clock time is reported, never judged.

    run.py [--only NAME,...] [--volume quick|full] [--write-docs] [--list]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime

import cardinality
import cold_start
import docs_blocks
import fan_out
import gateway
import hot_key
import list_keys
import load_run
import metrics_scrape
import open_hour_query
import organization_metrics
import pipeline
import request_analytics
import shapes
import sharded_writes
import steady_rollup
import throttled_writes
import verdicts
from volume import Volume

from devtools.template import PROJECT_ROOT

REPORTS_DIR = PROJECT_ROOT / "build" / "bench"


@dataclass(frozen=True)
class Section:
    name: str
    number: int
    description: str
    run: Callable[[Volume], None]


SECTIONS = (
    Section(
        "cold-start",
        1,
        "import CPU time and instructions of each handler as built, against the stack floor",
        cold_start.run,
    ),
    Section(
        "list-keys",
        2,
        "DynamoDB requests of one authenticated GET /v1/api_keys, per kind of credential",
        list_keys.run,
    ),
    Section(
        "verify",
        3,
        "round trips, write units and $ per million of a POST /v1/keys/verify",
        pipeline.verification_costs,
    ),
    Section(
        "ingest",
        4,
        "requests and $ per million events of a POST /v1/events of 1000 events",
        pipeline.ingestion_costs,
    ),
    Section(
        "analytics-30d",
        5,
        "items a 30-day verification-analytics query reads after rollup, at two volumes",
        pipeline.analytics_by_volume,
    ),
    Section(
        "analytics-bound",
        6,
        "the most DynamoDB requests one verification-analytics query makes, whatever the data",
        pipeline.analytics_bound,
    ),
    Section(
        "request-analytics",
        7,
        "items and bytes a 30-day GET /v1/analytics/api_keys reads after rollup, at two volumes",
        request_analytics.run,
    ),
    Section(
        "org-metrics",
        8,
        "what an all-time POST /v1/organizations/metrics reads, by the organization's age",
        organization_metrics.run,
    ),
    Section(
        "scrape",
        9,
        "what a GET /v1/metrics scrape reads by age, and /v1/metrics/all over 1,000 organizations",
        metrics_scrape.run,
    ),
    Section(
        "throttling",
        10,
        "nothing lost while the raw table throttles every write: waits, spills, the drain",
        throttled_writes.run,
    ),
    Section(
        "load",
        11,
        "a bounded load run on loopback: throughput, p50/p99, 5xx answers, events counted",
        load_run.run,
    ),
    Section(
        "open-hour",
        12,
        "a query ending now: the raw tail it reads, and that tail's bound",
        open_hour_query.run,
    ),
    Section(
        "sharded-writes",
        13,
        "raw writes past one partition: the shards, the busiest partition, the merged read",
        sharded_writes.run,
    ),
    Section(
        "fan-out",
        14,
        "the fanned-out rollup: dispatcher, worker runs, idle organizations, capacity on paper",
        fan_out.run,
    ),
    Section(
        "cardinality",
        15,
        "what one analytics call reads at the demo's shape and at thousands of keys, endpoints and IPs",
        cardinality.run,
    ),
    Section(
        "steady-rollup",
        16,
        "what the rollup writes per event as the dispatcher runs it, at 100 keys, 40 endpoints and 2,000 IPs",
        steady_rollup.run,
    ),
    Section(
        "hot-key",
        17,
        "one product key verified 5,000 times a second: its counters on one item and split over eight",
        hot_key.run,
    ),
    Section(
        "shapes",
        18,
        "the demo's shape, (b) and (c) in steady state: reads per call, rollup writes, $ per million in full",
        shapes.run,
    ),
    Section(
        "gateway",
        19,
        "a call through a protected gateway: authorizer requests and write units, access logs, $ vs usage plans",
        gateway.run,
    ),
)
BY_NAME = {section.name: section for section in SECTIONS}


class Tee(io.TextIOBase):
    """Writes to the terminal and keeps a copy."""

    def __init__(self, terminal: io.TextIOBase) -> None:
        self.terminal, self.copy = terminal, io.StringIO()

    def write(self, text: str) -> int:
        self.terminal.write(text)
        if "\n" in text:
            self.terminal.flush()  # a long section shows its progress line by line, even through a pipe
        return self.copy.write(text)


def chosen_sections(only: str | None, parser: argparse.ArgumentParser) -> list[Section]:
    """The sections named (comma-separated, in the bench's order), or every section."""
    if not only:
        return list(SECTIONS)
    names = {name.strip() for name in only.split(",") if name.strip()}
    unknown = sorted(names - BY_NAME.keys())
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}; the sections are: {', '.join(BY_NAME)}")
    return [section for section in SECTIONS if section.name in names]


def run_section(section: Section, volume: Volume) -> tuple[str, float, bool]:
    """Runs the section, its verdicts recorded under its name; returns its report, its seconds, and whether it
    ran to the end (a section that raises is reported and the run goes on)."""
    started = time.perf_counter()
    tee = Tee(sys.stdout)
    finished = True
    with verdicts.section(section.name), redirect_stdout(tee):
        try:
            section.run(volume)
        except Exception:
            traceback.print_exc(file=sys.stdout)
            finished = False
    return tee.copy.getvalue(), time.perf_counter() - started, finished


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="make bench")
    parser.add_argument("--only", metavar="NAME,...", help="the sections to run (default: every one); see --list")
    parser.add_argument("--volume", choices=[volume.value for volume in Volume], default=Volume.QUICK.value)
    parser.add_argument("--write-docs", action="store_true", help=f"write the reports into {docs_blocks.DOCS_NAME}")
    parser.add_argument("--list", action="store_true", help="list the sections' names and what each measures")
    arguments = parser.parse_args()
    if arguments.list:
        for section in SECTIONS:
            print(f"{section.name:<18} {section.number:>2}. {section.description}")
        return 0
    sections, volume = chosen_sections(arguments.only, parser), Volume(arguments.volume)
    if arguments.write_docs and (unmarked := docs_blocks.unmarked([section.name for section in sections])):
        parser.error(f"{docs_blocks.DOCS_NAME} has no <!-- bench:NAME --> block for {', '.join(unmarked)}")

    print(f"keytally bench, volume {volume.value}: {', '.join(section.name for section in sections)}")
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    took: dict[str, float] = {}
    failed = []
    for section in sections:
        print()
        report, took[section.name], finished = run_section(section, volume)
        (REPORTS_DIR / f"{section.name}.txt").write_text(report)
        if not finished:
            failed.append(section.name)
        elif arguments.write_docs:
            docs_blocks.write(section.name, report, volume, datetime.now(UTC).date())

    print()
    print("\n".join(verdicts.summary(verdicts.RECORDED)))
    if failed:
        print(f"sections that failed (traceback above): {', '.join(failed)}")
    print("seconds taken: " + ", ".join(f"{name} {seconds:.0f}" for name, seconds in took.items()))
    print(f"reports in {REPORTS_DIR.relative_to(PROJECT_ROOT)}/")
    return 1 if failed or not all(judged.passed for judged in verdicts.RECORDED) else 0


if __name__ == "__main__":
    sys.exit(main())

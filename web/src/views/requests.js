// Requests: BitGPT's API key analytics (GET /v1/analytics/api_keys) — the core metrics against the previous period
// of the same length, latency percentiles and breakdown, requests and errors per hour, top keys and top IPs.
import { lines } from "../chart.js";
import { filterForm, format, h, replace, section, select, stat, stats, table } from "../dom.js";
import { describe, HOUR, rangeControl, resolve } from "../range.js";

export const title = "Requests";
export const needs = "analytics:read";
const filters = { apiKeyId: "", endpoint: "", source: "ingested" };
const TOP = 10;

const CORE = [
  ["total_requests", "Requests", format.count, "more"],
  ["requests_per_second", "Requests per second", format.rate, "more"],
  ["total_success", "Succeeded", format.count, "more"],
  ["total_errors", "Errors", format.count, "fewer"],
  ["success_rate_pct", "Success rate", format.percent, "more"],
  ["avg_latency_ms", "Average latency", format.ms, "fewer"],
  ["pct_under_100ms", "Under 100 ms", format.percent, "more"],
  ["pct_under_500ms", "Under 500 ms", format.percent, "more"],
  ["pct_under_1s", "Under 1 s", format.percent, "more"],
  ["unique_endpoints", "Endpoints", format.count, null],
  ["distinct_api_keys", "Keys", format.count, null],
];

// A top list's last row counts everything the rows above do not.
function named(row, name, other) {
  return row.other ? h("em", {}, other) : name;
}

// A count a top list may undercount (past the values the stored rankings list) says by how much at most.
function counted(field) {
  return (row) =>
    row.max_undercount
      ? h("span", { title: `up to ${format.count(row.max_undercount)} more` }, `${format.count(row[field])}+`)
      : format.count(row[field]);
}

// The change against the previous period, and whether it is for the better.
function change(current, previous, better, formatter) {
  if (previous === null || previous === undefined || current === null || current === undefined) return null;
  if (previous === 0) return h("span", { class: "change" }, current === 0 ? "no change" : "new");
  const percent = ((current - previous) / previous) * 100;
  if (percent === 0) return h("span", { class: "change", "data-previous": previous }, "no change");
  const direction = percent > 0 ? "more" : "fewer";
  const mood = !better ? "" : direction === better ? " good" : " bad";
  const arrow = percent > 0 ? "▲" : "▼";
  return h(
    "span",
    { class: `change${mood}`, "data-previous": previous },
    `${arrow} ${format.number(Math.abs(percent))}% vs ${formatter(previous)} before`,
  );
}

export async function render(context, main) {
  main.append(rangeControl(context.range, context.setRange));
  const key = h("input", { name: "apiKeyId", value: filters.apiKeyId, placeholder: "ak_…", spellcheck: false });
  const endpoint = h("input", {
    name: "endpoint",
    value: filters.endpoint,
    placeholder: "/v1/orders",
    spellcheck: false,
  });
  const source = select(
    "source",
    [
      ["ingested", "Your API's requests"],
      ["keytally", "Calls to keytally"],
    ],
    filters.source,
  );
  const apply = () => {
    Object.assign(filters, { apiKeyId: key.value.trim(), endpoint: endpoint.value.trim(), source: source.value });
    context.refresh();
  };
  main.append(
    filterForm(
      [
        ["Key ID", key],
        ["Endpoint", endpoint],
        ["Requests", source],
      ],
      apply,
    ),
  );

  const { start, end } = resolve(context.range);
  const results = h("div", { class: "results", "data-start": start, "data-end": end });
  results.append(h("p", { class: "loading" }, "Loading…"));
  main.append(results);
  const data = await context.api.get("/v1/analytics/api_keys", {
    start,
    end,
    organizationSlug: context.organizationSlug,
    apiKeyId: filters.apiKeyId,
    endpoint: filters.endpoint,
    source: filters.source,
    limit: TOP,
  });
  const core = data.core_metrics;
  const previous = data.prev_core_metrics ?? {};
  replace(
    results,
    h(
      "p",
      { class: "range-shown" },
      `${describe({ start, end })}, against the ${format.number((end - start) / HOUR)} hours before`,
    ),
    core.total_requests === 0 && h("p", { class: "empty" }, "No requests in this range."),
    section(
      "Core metrics",
      stats(
        ...CORE.map(([name, label, formatter, better]) =>
          stat(
            label,
            core[name],
            `core_metrics.${name}`,
            formatter,
            change(core[name], previous[name], better, formatter),
          ),
        ),
      ),
    ),
    section(
      "Latency",
      stats(
        ...["min", "p50", "p90", "p95", "p99", "max", "avg"].map((name) =>
          stat(name === "avg" ? "Average" : name, data.latency?.[name], `latency.${name}`, format.ms),
        ),
      ),
      breakdown(data.latency_breakdown),
    ),
    hourly(data.hourly_metrics, start, end),
    section(
      "Top keys",
      table(
        "Most used keys",
        [
          { key: "auth", label: "Identity", value: (row) => row.auth, render: (row) => named(row, row.auth, "Other") },
          { key: "api_key_id", label: "Key", value: (row) => row.api_key_id },
          { key: "usage_count", label: "Requests", value: (row) => row.usage_count, render: counted("usage_count") },
        ],
        data.most_used_api_keys,
        { testid: "top-keys" },
      ),
    ),
    section(
      "Top IPs",
      table(
        "Requests by client IP",
        [
          { key: "ip", label: "IP", value: (row) => row.ip, render: (row) => named(row, row.ip, "Other IPs") },
          {
            key: "total_requests",
            label: "Requests",
            value: (row) => row.total_requests,
            render: counted("total_requests"),
          },
          { key: "total_errors", label: "Errors", value: (row) => row.total_errors, format: format.count },
          { key: "error_rate", label: "Error rate", value: (row) => row.error_rate, format: format.percent },
        ],
        data.ip_metrics,
        { testid: "top-ips" },
      ),
    ),
  );
}

function breakdown(counts) {
  const buckets = [
    ["less_than_100ms", "Under 100 ms"],
    ["less_than_500ms", "100–500 ms"],
    ["less_than_1s", "500 ms–1 s"],
    ["more_than_1s", "Over 1 s"],
  ];
  const total = counts?.total_requests || 0;
  return h(
    "ul",
    { class: "breakdown", "aria-label": "Latency breakdown" },
    buckets.map(([name, label]) => {
      const share = total ? (counts[name] / total) * 100 : 0;
      const bar = h("span", { class: "bar" });
      bar.style.width = `${share}%`;
      return h(
        "li",
        { "data-metric": `latency_breakdown.${name}`, "data-value": counts?.[name] ?? 0 },
        h("span", { class: "bar-label" }, `${label}: ${format.count(counts?.[name] ?? 0)} (${format.number(share)}%)`),
        h("span", { class: "track" }, bar),
      );
    }),
  );
}

// An hour the API leaves out had no requests: the chart draws it as zero.
function hourly(rows, start, end) {
  const card = section("Requests and errors per hour");
  card.dataset.testid = "hourly-chart";
  if (rows.length === 0) {
    card.append(h("p", { class: "empty" }, "No requests in this range."));
    return card;
  }
  const byHour = new Map(rows.map((row) => [Date.parse(`${row.hour.replace(" ", "T")}Z`), row]));
  const hours = [];
  for (let hour = Math.floor(start / HOUR) * HOUR; hour < end; hour += HOUR) hours.push(hour);
  lines(
    card,
    hours.map((hour) => hour / 1000),
    [
      { label: "Requests", color: "#1d4ed8", values: hours.map((hour) => byHour.get(hour)?.total_requests ?? 0) },
      { label: "Errors", color: "#b91c1c", values: hours.map((hour) => byHour.get(hour)?.error_count ?? 0) },
    ],
    `Requests and errors per hour over ${rows.length} hours.`,
  );
  return card;
}

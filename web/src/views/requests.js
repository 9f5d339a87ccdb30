// Requests: BitGPT's API key analytics (GET /v1/analytics/api_keys) — the core metrics against the previous period
// of the same length, latency percentiles and breakdown, requests, errors and latency per hour, top keys and top IPs.
// Filtered by key, endpoint and source (in the URL); a key opens its own page.
import { lines } from "../chart.js";
import { filterForm, format, h, replace, section, select, stat, stats, table } from "../dom.js";
import { describe, HOUR, narrowed, rangeControl, resolve } from "../range.js";

export const title = "Requests";
export const needs = "analytics:read";
const TOP = 10;
const SOURCES = [
  ["ingested", "Your API's requests"],
  ["keytally", "Calls to keytally"],
];

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

// The request analytics of the view's range and the given filters (and the source the URL names).
export function requestAnalytics(context, { start, end }, filters) {
  return context.api.get("/v1/analytics/api_keys", {
    start,
    end,
    organizationSlug: context.organizationSlug,
    source: context.params.source || "ingested",
    limit: TOP,
    latencyTimeline: true,
    ...filters,
  });
}

export async function render(context, main) {
  const { params } = context;
  main.append(rangeControl(context));
  const key = h("input", { name: "apiKeyId", value: params.apiKeyId ?? "", placeholder: "ak_…", spellcheck: false });
  const endpoint = h("input", {
    name: "endpoint",
    value: params.endpoint ?? "",
    placeholder: "/v1/orders",
    spellcheck: false,
  });
  const source = select("source", SOURCES, params.source || "ingested");
  const apply = () =>
    context.navigate({
      apiKeyId: key.value.trim(),
      endpoint: endpoint.value.trim(),
      source: source.value === "ingested" ? null : source.value,
    });
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
  const countColumns = [
    { key: "total_requests", label: "Requests", value: (row) => row.total_requests, render: counted("total_requests") },
    { key: "total_errors", label: "Errors", value: (row) => row.total_errors, format: format.count },
    { key: "error_rate", label: "Error rate", value: (row) => row.error_rate, format: format.percent },
  ];
  const data = await requestAnalytics(
    context,
    { start, end },
    { apiKeyId: params.apiKeyId, endpoint: params.endpoint },
  );
  replace(
    results,
    ...requestFigures(context, data, { start, end }),
    section(
      "Top keys",
      table(
        "Most used keys",
        [
          { key: "auth", label: "Identity", value: (row) => row.auth, render: (row) => named(row, row.auth, "Other") },
          {
            key: "api_key_id",
            label: "Key",
            value: (row) => row.api_key_id,
            render: (row) =>
              row.api_key_id && h("a", { href: context.link("key", { id: row.api_key_id }) }, row.api_key_id),
          },
          { key: "usage_count", label: "Requests", value: (row) => row.usage_count, render: counted("usage_count") },
        ],
        data.most_used_api_keys,
        { testid: "top-keys" },
      ),
    ),
    section(
      "Top endpoints",
      table(
        "Requests by endpoint",
        [
          {
            key: "endpoint",
            label: "Endpoint",
            value: (row) => row.endpoint,
            render: (row) =>
              row.other
                ? h("em", {}, "Other endpoints")
                : h(
                    "a",
                    { href: context.link("requests", { endpoint: row.endpoint, source: params.source }) },
                    row.endpoint,
                  ),
          },
          ...countColumns,
        ],
        data.endpoint_metrics,
        { testid: "top-endpoints" },
      ),
    ),
    section(
      "Top IPs",
      table(
        "Requests by client IP",
        [
          { key: "ip", label: "IP", value: (row) => row.ip, render: (row) => named(row, row.ip, "Other IPs") },
          ...countColumns,
        ],
        data.ip_metrics,
        { testid: "top-ips" },
      ),
    ),
  );
}

// What the requests view and a key's page show alike: the range, the core metrics against the period before,
// latency, and requests, errors and latency per hour (a drag or a click on an hour narrows the view to it).
export function requestFigures(context, data, { start, end }) {
  const core = data.core_metrics;
  const previous = data.prev_core_metrics ?? {};
  const narrow = (from, to) => context.setRange(narrowed(from, to));
  return [
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
    ...hourly(data, start, end, narrow),
  ];
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

const LATENCY_LINES = [
  ["avg_latency_ms", "Average", "#1d4ed8"],
  ["p50_latency_ms", "p50", "#15803d"],
  ["p95_latency_ms", "p95", "#ca8a04"],
  ["p99_latency_ms", "p99", "#b91c1c"],
];
const SLICES = {
  hour: HOUR,
  day: 24 * HOUR,
  month: (start) => Date.UTC(new Date(start).getUTCFullYear(), new Date(start).getUTCMonth() + 1, 1),
};
const utc = (text) => Date.parse(`${text.replace(" ", "T")}Z`);

// Requests and errors per hour (an hour the API leaves out had none: drawn as zero), and latency per slice of
// latency_timeline (a slice without requests has none: a gap).
function hourly(data, start, end, narrow) {
  const rows = data.hourly_metrics;
  const counts = section("Requests and errors per hour");
  counts.dataset.testid = "hourly-chart";
  if (rows.length === 0) {
    counts.append(h("p", { class: "empty" }, "No requests in this range."));
    return [counts];
  }
  const byHour = new Map(rows.map((row) => [utc(row.hour), row]));
  const hours = [];
  for (let hour = Math.floor(start / HOUR) * HOUR; hour < end; hour += HOUR) hours.push(hour);
  lines(
    counts,
    hours.map((hour) => hour / 1000),
    [
      { label: "Requests", color: "#1d4ed8", values: hours.map((hour) => byHour.get(hour)?.total_requests ?? 0) },
      { label: "Errors", color: "#b91c1c", values: hours.map((hour) => byHour.get(hour)?.error_count ?? 0) },
    ],
    `Requests and errors per hour over ${rows.length} hours.`,
    { narrow, slice: HOUR },
  );
  return [counts, latencyChart(data.latency_timeline, data.latency_slice, narrow)];
}

function latencyChart(timeline, slice, narrow) {
  const card = section(`Latency per ${slice}${slice === "hour" ? "" : " (UTC)"}: average, p50, p95, p99`);
  card.dataset.testid = "latency-chart";
  const times = timeline.map((row) => utc(row.start) / 1000);
  lines(
    card,
    times,
    LATENCY_LINES.map(([name, label, color]) => ({ label, color, values: timeline.map((row) => row[name]) })),
    `Latency per ${slice} (average, p50, p95 and p99) over ${timeline.length} ${slice}s.`,
    { narrow, slice: SLICES[slice], unit: " ms" },
  );
  return card;
}

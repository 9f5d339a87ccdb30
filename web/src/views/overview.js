// Overview: ChainPatrol's organization metrics (POST /v1/organizations/metrics) for the chosen range.
import { format, h, replace, section, stat, stats } from "../dom.js";
import { OUTCOMES } from "../outcomes.js";
import { describe, rangeControl, resolve } from "../range.js";

export const title = "Overview";

// A distinct count past 200 values an hour is an estimate: shown as "≈ N", its stated error as the tooltip
function estimated(errorPct) {
  return (value) =>
    errorPct
      ? h("span", { title: `an estimate, within ${errorPct}% (95% confidence)` }, `≈ ${format.count(value)}`)
      : format.count(value);
}
export const needs = "analytics:read";

export async function render(context, main) {
  const { start, end } = resolve(context.range);
  main.append(rangeControl(context));
  const results = h("div", { class: "results" }, h("p", { class: "loading" }, "Loading…"));
  main.append(results);
  const metrics = await context.api.post("/v1/organizations/metrics", {
    organizationSlug: context.organizationSlug,
    startDate: new Date(start).toISOString(),
    endDate: new Date(end).toISOString(),
  });
  const { verifications: v, requests: r, keys: k } = metrics;
  results.dataset.start = metrics.startDate;
  results.dataset.end = metrics.endDate;
  replace(
    results,
    h(
      "p",
      { class: "range-shown" },
      describe({ start: Date.parse(metrics.startDate), end: Date.parse(metrics.endDate) }),
    ),
    v.total === 0 && r.total === 0 && h("p", { class: "empty" }, "No verifications and no requests in this range."),
    section(
      "Verifications",
      stats(
        stat("Total", v.total, "verifications.total"),
        ...OUTCOMES.map(({ name, label }) => stat(label, v[name], `verifications.${name}`)),
        stat("Credits spent", metrics.creditsSpent, "creditsSpent"),
        stat("Identities", metrics.identities, "identities", estimated(metrics.identitiesErrorPct)),
      ),
    ),
    section(
      "Requests",
      stats(
        stat("Total", r.total, "requests.total"),
        stat("Succeeded", r.success, "requests.success"),
        stat("Errors", r.errors, "requests.errors"),
        stat("Success rate", r.successRatePct, "requests.successRatePct", format.percent),
        stat("Average latency", r.avgLatencyMs, "requests.avgLatencyMs", format.ms),
        stat("p50 latency", r.p50LatencyMs, "requests.p50LatencyMs", format.ms),
        stat("p95 latency", r.p95LatencyMs, "requests.p95LatencyMs", format.ms),
        stat("p99 latency", r.p99LatencyMs, "requests.p99LatencyMs", format.ms),
      ),
    ),
    section(
      "Keys and APIs",
      stats(
        stat("Keys", k.total, "keys.total"),
        stat("Active", k.active, "keys.active"),
        stat("Disabled", k.disabled, "keys.disabled"),
        stat("Expired", k.expired, "keys.expired"),
        stat("Revoked", k.revoked, "keys.revoked"),
        stat("Created in range", k.createdInRange, "keys.createdInRange"),
        stat("Used in range", k.usedInRange, "keys.usedInRange", estimated(k.usedInRangeErrorPct)),
        stat("APIs", metrics.apis, "apis"),
      ),
    ),
  );
}

// Verifications: Unkey's getVerifications (GET /v1/analytics/verifications) for one API — outcomes over time
// stacked (by hour or day), the totals, and the top keys and identities; filtered by key, tag and range.
import { stackedBars } from "../chart.js";
import { filterForm, format, h, replace, section, select, stat, stats, table } from "../dom.js";
import { OUTCOMES } from "../outcomes.js";
import { describe, HOUR, rangeControl, resolve } from "../range.js";

export const title = "Verifications";
export const needs = "analytics:read";
const filters = { apiId: null, keyId: "", tag: "", granularity: "day" };
const TOP = 10;

function outcomeColumns() {
  return OUTCOMES.map(({ name, label }) => ({ key: name, label, value: (row) => row[name], format: format.count }));
}

export async function render(context, main) {
  const apis = await context.api.get("/v1/apis", { organizationSlug: context.organizationSlug });
  main.append(rangeControl(context.range, context.setRange));
  if (apis.length === 0) {
    main.append(h("p", { class: "empty" }, "This organization has no API yet: verifications belong to an API's keys."));
    return;
  }
  if (!apis.some((api) => api.api_id === filters.apiId)) filters.apiId = apis[0].api_id;
  const api = select(
    "apiId",
    apis.map((item) => [item.api_id, item.name]),
    filters.apiId,
  );
  const key = h("input", { name: "keyId", value: filters.keyId, placeholder: "ak_…", spellcheck: false });
  const tag = h("input", { name: "tag", value: filters.tag, spellcheck: false });
  const granularity = select(
    "granularity",
    [
      ["hour", "Hour"],
      ["day", "Day"],
    ],
    filters.granularity,
  );
  const apply = () => {
    Object.assign(filters, {
      apiId: api.value,
      keyId: key.value.trim(),
      tag: tag.value.trim(),
      granularity: granularity.value,
    });
    context.refresh();
  };
  main.append(
    filterForm(
      [
        ["API", api],
        ["Key ID", key],
        ["Tag", tag],
        ["Per", granularity],
      ],
      apply,
    ),
  );

  const { start, end } = resolve(context.range);
  const query = { apiId: filters.apiId, keyId: filters.keyId, tag: filters.tag, start, end };
  const results = h("div", { class: "results", "data-start": start, "data-end": end });
  results.append(h("p", { class: "loading" }, "Loading…"));
  main.append(results);
  const top = (groupBy) =>
    context.api.get("/v1/analytics/verifications", { ...query, groupBy, orderBy: "total", order: "desc", limit: TOP });
  const [series, totals, keys, identities] = await Promise.all([
    context.api.get("/v1/analytics/verifications", { ...query, groupBy: filters.granularity }),
    context.api.get("/v1/analytics/verifications", query),
    top("key"),
    top("identity"),
  ]);
  // the API counts whole hours: the start floored, the end rounded up
  const hours = { start: Math.floor(start / HOUR) * HOUR, end: Math.ceil(end / HOUR) * HOUR };
  replace(results, h("p", { class: "range-shown" }, describe(hours)));
  const total = totals[0] ?? Object.fromEntries([...OUTCOMES.map(({ name }) => [name, 0]), ["total", 0]]);
  results.append(
    section(
      "Totals",
      stats(stat("Total", total.total, "total"), ...OUTCOMES.map(({ name, label }) => stat(label, total[name], name))),
    ),
  );
  const over = section(`Verifications per ${filters.granularity}`);
  over.dataset.testid = "verification-chart";
  results.append(over);
  if (series.length === 0) {
    over.append(h("p", { class: "empty" }, "No verifications in this range."));
  } else {
    stackedBars(
      over,
      series.map((point) => point.time / 1000),
      OUTCOMES.map(({ name, label, color }) => ({ label, color, values: series.map((point) => point[name]) })),
      `Verifications per ${filters.granularity} by outcome: ${format.count(total.total)} in all.`,
    );
  }
  results.append(
    section(
      "Top keys",
      table(
        "Top keys by verifications",
        [
          { key: "keyId", label: "Key", value: (row) => row.keyId ?? "(no such key)" },
          { key: "total", label: "Total", value: (row) => row.total, format: format.count },
          ...outcomeColumns(),
        ],
        keys,
        { testid: "top-keys" },
      ),
    ),
    section(
      "Top identities",
      table(
        "Top identities by verifications",
        [
          { key: "externalId", label: "Identity", value: (row) => row.identity?.externalId ?? "(none)" },
          { key: "total", label: "Total", value: (row) => row.total, format: format.count },
          ...outcomeColumns(),
        ],
        identities,
        { testid: "top-identities" },
      ),
    ),
  );
}

// Verifications: Unkey's getVerifications (GET /v1/analytics/verifications) for one API — outcomes over time
// stacked (by hour or day), the totals, and the top keys and identities; filtered by key, identity, tag and range (in
// the URL). A key opens its own page; an identity narrows the view to its verifications.
import { stackedBars } from "../chart.js";
import { filterForm, format, h, replace, section, select, stat, stats, table } from "../dom.js";
import { OUTCOMES } from "../outcomes.js";
import { describe, HOUR, narrowed, rangeControl, resolve } from "../range.js";

export const title = "Verifications";
export const needs = "analytics:read";
const TOP = 10;
const SLICES = { hour: HOUR, day: 24 * HOUR };
const HOURLY_UP_TO = 2 * 24 * HOUR; // ranges this short are shown by hour unless the URL says otherwise

function outcomeColumns() {
  return OUTCOMES.map(({ name, label }) => ({ key: name, label, value: (row) => row[name], format: format.count }));
}

export function granularityOf(params, { start, end }) {
  return params.granularity in SLICES ? params.granularity : end - start <= HOURLY_UP_TO ? "hour" : "day";
}

// The totals and the outcomes per slice of one API's verifications, filtered; the verifications view and a key's
// page show them alike. A drag or a click on a slice narrows the view's range.
export async function outcomeFigures(context, query, granularity) {
  const [series, totals] = await Promise.all([
    context.api.get("/v1/analytics/verifications", { ...query, groupBy: granularity }),
    context.api.get("/v1/analytics/verifications", query),
  ]);
  // the API counts whole hours: the start floored, the end rounded up
  const hours = { start: Math.floor(query.start / HOUR) * HOUR, end: Math.ceil(query.end / HOUR) * HOUR };
  const total = totals[0] ?? Object.fromEntries([...OUTCOMES.map(({ name }) => [name, 0]), ["total", 0]]);
  const over = section(`Verifications per ${granularity}${granularity === "day" ? " (UTC days)" : ""}`);
  over.dataset.testid = "verification-chart";
  if (series.length === 0) {
    over.append(h("p", { class: "empty" }, "No verifications in this range."));
  } else {
    stackedBars(
      over,
      series.map((point) => point.time / 1000),
      OUTCOMES.map(({ name, label, color }) => ({ label, color, values: series.map((point) => point[name]) })),
      `Verifications per ${granularity} by outcome: ${format.count(total.total)} in all.`,
      { narrow: (from, to) => context.setRange(narrowed(from, to)), slice: SLICES[granularity] },
    );
  }
  return [
    h("p", { class: "range-shown" }, describe(hours)),
    section(
      "Totals",
      stats(stat("Total", total.total, "total"), ...OUTCOMES.map(({ name, label }) => stat(label, total[name], name))),
    ),
    over,
  ];
}

export async function render(context, main) {
  const { params } = context;
  const apis = await context.api.get("/v1/apis", { organizationSlug: context.organizationSlug });
  main.append(rangeControl(context));
  if (apis.length === 0) {
    main.append(h("p", { class: "empty" }, "This organization has no API yet: verifications belong to an API's keys."));
    return;
  }
  const apiId = apis.some((api) => api.api_id === params.apiId) ? params.apiId : apis[0].api_id;
  const { start, end } = resolve(context.range);
  const granularity = granularityOf(params, { start, end });
  const api = select(
    "apiId",
    apis.map((item) => [item.api_id, item.name]),
    apiId,
  );
  const key = h("input", { name: "keyId", value: params.keyId ?? "", placeholder: "ak_…", spellcheck: false });
  const identity = h("input", { name: "externalId", value: params.externalId ?? "", spellcheck: false });
  const tag = h("input", { name: "tag", value: params.tag ?? "", spellcheck: false });
  const per = select(
    "granularity",
    [
      ["hour", "Hour"],
      ["day", "Day"],
    ],
    granularity,
  );
  const apply = () =>
    context.navigate({
      apiId: api.value,
      keyId: key.value.trim(),
      externalId: identity.value.trim(),
      tag: tag.value.trim(),
      granularity: per.value,
    });
  main.append(
    filterForm(
      [
        ["API", api],
        ["Key ID", key],
        ["Identity", identity],
        ["Tag", tag],
        ["Per", per],
      ],
      apply,
    ),
  );

  const query = { apiId, keyId: params.keyId, externalId: params.externalId, tag: params.tag, start, end };
  const results = h("div", { class: "results", "data-start": start, "data-end": end });
  results.append(h("p", { class: "loading" }, "Loading…"));
  main.append(results);
  const top = (groupBy) =>
    context.api.get("/v1/analytics/verifications", { ...query, groupBy, orderBy: "total", order: "desc", limit: TOP });
  const [figures, keys, identities] = await Promise.all([
    outcomeFigures(context, query, granularity),
    top("key"),
    top("identity"),
  ]);
  replace(results, ...figures);
  results.append(
    section(
      "Top keys",
      table(
        "Top keys by verifications",
        [
          {
            key: "keyId",
            label: "Key",
            value: (row) => row.keyId ?? "(no such key)",
            render: (row) =>
              row.keyId ? h("a", { href: context.link("key", { id: row.keyId, apiId }) }, row.keyId) : "(no such key)",
          },
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
          {
            key: "externalId",
            label: "Identity",
            value: (row) => row.identity?.externalId ?? "(none)",
            render: (row) =>
              row.identity?.externalId
                ? h(
                    "a",
                    { href: context.link("verifications", { apiId, externalId: row.identity.externalId }) },
                    row.identity.externalId,
                  )
                : "(none)",
          },
          { key: "total", label: "Total", value: (row) => row.total, format: format.count },
          ...outcomeColumns(),
        ],
        identities,
        { testid: "top-identities" },
      ),
    ),
  );
}

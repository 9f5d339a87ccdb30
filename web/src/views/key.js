// A key's own page, opened from a top list or the keys list (#/key?id=…): what the key is and when it was last
// used (GET /v1/api_keys/{id}, with keys:read), its verifications over time by outcome (a product key's, from its
// API), and the requests made with it: core metrics, latency, per hour.
import { format, h, replace, section, stat, stats } from "../dom.js";
import { rangeControl, resolve } from "../range.js";
import { credits, rateLimit, status } from "./keys.js";
import { requestAnalytics, requestFigures } from "./requests.js";
import { granularityOf, outcomeFigures } from "./verifications.js";

export const title = "Key";
export const needs = "analytics:read";
export const reached = true; // not in the navigation: a key is opened from a list

export async function render(context, main) {
  const { params } = context;
  const id = params.id ?? "";
  main.append(h("p", { class: "subject" }, h("code", { "data-testid": "key-id" }, id)), rangeControl(context));
  const results = h("div", { class: "results" }, h("p", { class: "loading" }, "Loading…"));
  main.append(results);
  const { start, end } = resolve(context.range);
  results.dataset.start = start;
  results.dataset.end = end;
  const key = context.may("keys:read") ? await context.api.get(`/v1/api_keys/${encodeURIComponent(id)}`) : null;
  const apiId = key?.api_id ?? params.apiId;
  const query = { apiId, keyId: id, start, end };
  const [verifications, requests] = await Promise.all([
    apiId ? outcomeFigures(context, query, granularityOf(params, { start, end })) : null,
    requestAnalytics(context, { start, end }, { apiKeyId: id }),
  ]);
  replace(
    results,
    key
      ? about(key)
      : h("p", { class: "empty" }, "This credential may not read keys: the key's details are not shown, its use is."),
    verifications && h("h2", { class: "part" }, "Verifications"),
    verifications,
    h("h2", { class: "part" }, `Requests (${params.source === "keytally" ? "calls to keytally" : "your API's"})`),
    ...requestFigures(context, requests, { start, end }),
  );
}

function about(key) {
  const card = section(
    "About this key",
    stats(
      stat("Description", key.description || "(none)", "description", String),
      stat("Type", key.key_type, "key_type", String),
      stat("Status", status(key), "status", String),
      stat("Created", key.created_time, "created_time", format.date),
      stat("Last used", key.last_used_at, "last_used_at", format.date),
      stat("Credits", key.remaining, "remaining", () => credits(key)),
      stat("Rate limit", rateLimit(key), "ratelimit", String),
    ),
  );
  return card;
}

// Keys: the organization's API keys (GET /v1/api_keys) with their status, scopes and use; create one (its value is
// shown once), disable or enable it, revoke it. Product keys show their credits, refill and rate limit. A key's id
// opens its own page.
import { attempt, confirmingButton, field, format, h, replace, section, select, showOnce, table } from "../dom.js";

export const title = "Keys";
export const needs = "keys:read";
const PAGE = 100;
const SCOPES = ["keys:read", "keys:write", "analytics:read", "metrics:read", "events:write", "keys:verify"];

export function status(key, now = Date.now()) {
  if (key.revoked_at) return "revoked";
  if (key.expires_at && Date.parse(key.expires_at) <= now) return "expired";
  return key.is_enabled ? "active" : "disabled";
}

export function credits(key) {
  if (key.key_type !== "product") return "—";
  const remaining = key.remaining === null ? "unlimited" : format.count(key.remaining);
  return key.refill ? `${remaining} (refills to ${format.count(key.refill.amount)} ${key.refill.interval})` : remaining;
}

export function rateLimit(key) {
  if (key.key_type === "product") {
    return key.ratelimit
      ? `${format.count(key.ratelimit.limit)} per ${format.number(key.ratelimit.duration / 1000)} s`
      : "none";
  }
  return `${format.count(key.rate_limit)} per hour`;
}

export async function render(context, main) {
  const writable = context.may("keys:write");
  const notice = h("div", { class: "notice", "aria-live": "polite" });
  const list = h("div", { class: "results" }, h("p", { class: "loading" }, "Loading…"));
  const apis = await context.api.get("/v1/apis", { organizationSlug: context.organizationSlug });
  const refresh = () => attempt(notice, () => showKeys(context, list, notice, writable, refresh));
  main.append(
    writable
      ? createForm(context, apis, notice, refresh)
      : h("p", {}, "This credential may read keys, not change them."),
    notice,
    list,
  );
  await showKeys(context, list, notice, writable, refresh);
}

async function showKeys(context, list, notice, writable, refresh) {
  const keys = [];
  let cursor = null;
  do {
    const page = await context.api.page("/v1/api_keys", {
      organizationSlug: context.organizationSlug,
      limit: PAGE,
      cursor,
    });
    keys.push(...page.data);
    cursor = page.meta.next_cursor;
  } while (cursor);
  replace(
    list,
    section(
      `${format.count(keys.length)} keys`,
      table(
        "The organization's keys",
        [
          { key: "description", label: "Description", value: (key) => key.description || "(none)" },
          {
            key: "api_key_id",
            label: "ID",
            value: (key) => key.api_key_id,
            render: (key) =>
              h("a", { href: context.link("key", { id: key.api_key_id }) }, h("code", {}, key.api_key_id)),
          },
          {
            key: "key_start",
            label: "Starts",
            value: (key) => key.key_start,
            render: (key) => h("code", {}, `${key.key_start}…`),
          },
          { key: "key_type", label: "Type", value: (key) => key.key_type },
          {
            key: "status",
            label: "Status",
            value: (key) => status(key),
            render: (key) => h("span", { class: `badge ${status(key)}` }, status(key)),
          },
          {
            key: "scopes",
            label: "Scopes or permissions",
            value: (key) => (key.key_type === "product" ? key.permissions : key.scope_names).join(", ") || "—",
          },
          { key: "remaining", label: "Credits", value: (key) => key.remaining, render: credits },
          { key: "ratelimit", label: "Rate limit", value: (key) => rateLimit(key) },
          { key: "last_used_at", label: "Last used", value: (key) => key.last_used_at, format: format.date },
          {
            key: "actions",
            label: "Actions",
            value: () => "",
            render: (key) => actions(context, key, notice, refresh, writable),
          },
        ],
        keys,
        { empty: "No keys yet.", testid: "keys" },
      ),
    ),
  );
}

function actions(context, key, notice, refresh, writable) {
  if (!writable || key.revoked_at) return "";
  const run = (work) => () =>
    attempt(notice, async () => {
      await work();
      await refresh();
    });
  const toggle = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: run(() => context.api.patch(`/v1/api_keys/${key.api_key_id}`, { is_enabled: !key.is_enabled })),
    },
    key.is_enabled ? "Disable" : "Enable",
  );
  const revoke = confirmingButton(
    "Revoke",
    run(async () => {
      await context.api.delete(`/v1/api_keys/${key.api_key_id}`);
      notice.replaceChildren(
        h("p", { class: "done" }, `Key ${key.api_key_id} revoked: it fails from its next request.`),
      );
    }),
  );
  return h(
    "span",
    { class: "actions", role: "group", "aria-label": `Actions for ${key.description || key.api_key_id}` },
    toggle,
    revoke,
  );
}

function createForm(context, apis, notice, onCreated) {
  const type = select(
    "key_type",
    [["organization", "Organization key"], ...(apis.length ? [["product", "Product key"]] : [])],
    "organization",
  );
  const description = h("input", { name: "description", maxlength: 1000 });
  const scopes = h(
    "fieldset",
    { class: "scopes" },
    h("legend", {}, "Scopes"),
    SCOPES.filter((scope) => context.may(scope)).map((scope) =>
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name: "scope", value: scope, checked: true }),
        scope,
      ),
    ),
  );
  const api = select(
    "api_id",
    apis.map((item) => [item.api_id, item.name]),
    apis[0]?.api_id,
  );
  const externalId = h("input", { name: "external_id", maxlength: 256 });
  const permissions = h("input", { name: "permissions", placeholder: "orders:read, orders:write" });
  const remaining = h("input", { name: "remaining", type: "number", min: 0, placeholder: "unlimited" });
  const refillInterval = select(
    "refill_interval",
    [
      ["", "No refill"],
      ["daily", "Daily"],
      ["monthly", "Monthly"],
    ],
    "",
  );
  const refillAmount = h("input", { name: "refill_amount", type: "number", min: 1 });
  const limit = h("input", { name: "ratelimit_limit", type: "number", min: 1, placeholder: "no limit" });
  const seconds = h("input", { name: "ratelimit_seconds", type: "number", min: 1, value: 60 });
  const product = h(
    "div",
    { class: "product-fields", hidden: true },
    field("API", api),
    field("External ID (identity)", externalId),
    field("Permissions", permissions, "Comma-separated."),
    field("Credits", remaining, "Empty: unlimited."),
    field("Refill", refillInterval),
    field("Refill to", refillAmount),
    field("Rate limit (verifications)", limit),
    field("per seconds", seconds),
  );
  type.addEventListener("change", () => {
    product.hidden = type.value !== "product";
    scopes.hidden = type.value === "product";
  });
  const created = h("div", { class: "created", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card create", "aria-label": "Create a key" },
    h("h2", {}, "Create a key"),
    h("div", { class: "filters" }, field("Type", type), field("Description", description)),
    scopes,
    product,
    h("button", { type: "submit" }, "Create key"),
    created,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { description: description.value.trim() };
    if (type.value === "product") {
      Object.assign(body, { key_type: "product", api_id: api.value });
      if (externalId.value.trim()) body.external_id = externalId.value.trim();
      const granted = permissions.value
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean);
      if (granted.length) body.permissions = granted;
      if (remaining.value !== "") body.remaining = Number(remaining.value);
      if (refillInterval.value) body.refill = { interval: refillInterval.value, amount: Number(refillAmount.value) };
      if (limit.value !== "") body.ratelimit = { limit: Number(limit.value), duration: Number(seconds.value) * 1000 };
    } else {
      body.key_type = "organization";
      body.organizationSlug = context.organizationSlug;
      body.scope_names = [...scopes.querySelectorAll("input:checked")].map((input) => input.value);
    }
    await attempt(created, async () => {
      const key = await context.api.post("/v1/api_keys", body);
      form.reset();
      showOnce(created, {
        created: `Key ${key.api_key_id}`,
        label: "Key value",
        value: key.key_value,
        testid: "new-key-value",
      });
      notice.replaceChildren();
      await onCreated();
    });
  });
  return form;
}

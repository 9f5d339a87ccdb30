// Tokens: the signed-in user's personal access tokens (GET /v1/personal-access-tokens) — create one (shown once),
// revoke one. They belong to a user: an organization key is told so.
import { attempt, confirmingButton, field, format, h, replace, section, showOnce, table } from "../dom.js";

export const title = "Tokens";

function tokenStatus(token, now = Date.now()) {
  if (token.revoked_at) return "revoked";
  return token.expires_at && Date.parse(token.expires_at) <= now ? "expired" : "active";
}

export async function render(context, main) {
  if (!context.isUsers) {
    main.append(
      h(
        "p",
        { class: "empty" },
        "Personal access tokens belong to a user: sign in with a user key or a token to manage yours.",
      ),
    );
    return;
  }
  const notice = h("div", { class: "notice", "aria-live": "polite" });
  const list = h("div", { class: "results" });
  const tokens = await context.api.get("/v1/personal-access-tokens");
  const refresh = () =>
    attempt(notice, async () =>
      show(context, list, notice, await context.api.get("/v1/personal-access-tokens"), refresh),
    );
  main.append(
    context.readOnly
      ? h("p", {}, "This token is read-only: it may list your tokens, not create or revoke them.")
      : createForm(context, notice, refresh),
    notice,
    list,
  );
  show(context, list, notice, tokens, refresh);
}

function show(context, list, notice, tokens, refresh) {
  const revoke = (token) =>
    token.revoked_at || context.readOnly
      ? ""
      : confirmingButton("Revoke", () =>
          attempt(notice, async () => {
            await context.api.delete(`/v1/personal-access-tokens/${token.pat_id}`);
            await refresh();
          }),
        );
  replace(
    list,
    section(
      `${format.count(tokens.length)} tokens`,
      table(
        "Your personal access tokens",
        [
          { key: "name", label: "Name", value: (token) => token.name },
          {
            key: "pat_id",
            label: "ID",
            value: (token) => token.pat_id,
            render: (token) => h("code", {}, token.pat_id),
          },
          {
            key: "status",
            label: "Status",
            value: (token) => tokenStatus(token),
            render: (token) => h("span", { class: `badge ${tokenStatus(token)}` }, tokenStatus(token)),
          },
          {
            key: "organization_slug",
            label: "Organization",
            value: (token) => token.organization_slug ?? "any of yours",
          },
          { key: "read_only", label: "Access", value: (token) => (token.read_only ? "read only" : "read and write") },
          { key: "scope_names", label: "Scopes", value: (token) => token.scope_names.join(", ") || "—" },
          { key: "expires_at", label: "Expires", value: (token) => token.expires_at, format: format.date },
          { key: "actions", label: "Actions", value: () => "", render: revoke },
        ],
        tokens,
        { empty: "No tokens yet.", testid: "tokens" },
      ),
    ),
  );
}

function createForm(context, notice, onCreated) {
  const name = h("input", { name: "name", required: true, maxlength: 200 });
  const readOnly = h("input", { type: "checkbox", name: "read_only" });
  const bound = h("input", { type: "checkbox", name: "bound", checked: true });
  const days = h("input", { name: "expires_in_days", type: "number", min: 1, max: 365, value: 90 });
  const created = h("div", { class: "created", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card create", "aria-label": "Create a token" },
    h("h2", {}, "Create a token"),
    h("div", { class: "filters" }, field("Name", name), field("Expires in days", days)),
    h("label", { class: "check" }, readOnly, "Read only (GET requests only)"),
    h("label", { class: "check" }, bound, `Only for ${context.organization.name}`),
    h("button", { type: "submit" }, "Create token"),
    created,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), read_only: readOnly.checked, expires_in_days: Number(days.value) };
    if (bound.checked) body.organizationSlug = context.organizationSlug;
    await attempt(created, async () => {
      const token = await context.api.post("/v1/personal-access-tokens", body);
      form.reset();
      showOnce(created, {
        created: `Token ${token.pat_id}`,
        label: "Token",
        value: token.access_token,
        testid: "new-token-value",
      });
      notice.replaceChildren();
      await onCreated();
    });
  });
  return form;
}

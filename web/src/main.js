// The dashboard's shell: sign-in, the organization picker, the navigation between views and the shared range.
// Every figure comes from keytally's public JSON API, asked with the credential the person signed in with.
import { ApiError, client, onBusy } from "./api.js";
import { errorNotice, field, h, replace, select } from "./dom.js";
import { boundTo, session } from "./session.js";
import * as keys from "./views/keys.js";
import * as metrics from "./views/metrics.js";
import * as overview from "./views/overview.js";
import * as requests from "./views/requests.js";
import * as tokens from "./views/tokens.js";
import * as verifications from "./views/verifications.js";

const VIEWS = { overview, verifications, requests, keys, tokens, metrics };
const root = document.getElementById("app");
const state = { api: null, organizations: [], organization: null, range: { preset: "7d" } };

const progress = h("div", { class: "progress", role: "status", "aria-live": "polite" });
let progressTimer = null;
onBusy((busy) => {
  clearTimeout(progressTimer);
  if (busy) progressTimer = setTimeout(() => (progress.textContent = "Loading…"), 250);
  else progress.textContent = "";
});

function signInPage(problem = null) {
  const credential = h("input", {
    type: "password",
    name: "credential",
    autocomplete: "off",
    spellcheck: false,
    required: true,
  });
  const form = h(
    "form",
    { class: "card sign-in", "aria-label": "Sign in" },
    h("h1", {}, "keytally"),
    h("p", {}, "Sign in with an organization key, a user key or a personal access token."),
    field("Key or token", credential, "Kept in this tab only, and forgotten when you sign out or close it."),
    problem && errorNotice(problem),
    h("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    session.signIn(credential.value.trim());
    start();
  });
  replace(root, h("main", { id: "main" }, form), progress);
  credential.focus();
}

function signOut() {
  session.signOut();
  Object.assign(state, { api: null, organizations: [], organization: null });
  history.replaceState(null, "", location.pathname);
  signInPage();
}

async function start() {
  const credential = session.credential();
  if (!credential) return signInPage();
  state.api = client(credential);
  try {
    state.organizations = await state.api.get("/v1/organizations");
  } catch (error) {
    session.signOut();
    return signInPage(error instanceof ApiError ? error : new ApiError(0, String(error)));
  }
  if (state.organizations.length === 0) {
    session.signOut();
    return signInPage(new ApiError(403, "This credential has no organization to show."));
  }
  const remembered = state.organizations.find((org) => org.organizationSlug === session.organization());
  state.organization = remembered ?? state.organizations[0];
  session.choose(state.organization.organizationSlug);
  render();
}

function currentView() {
  const name = location.hash.replace(/^#\/?/, "").split("?")[0];
  return name in VIEWS ? name : "overview";
}

function header() {
  const picker = select(
    "organization",
    state.organizations.map((org) => [org.organizationSlug, `${org.name} (${org.organizationSlug})`]),
    state.organization.organizationSlug,
  );
  picker.addEventListener("change", () => {
    state.organization = state.organizations.find((org) => org.organizationSlug === picker.value);
    session.choose(picker.value);
    render();
  });
  const who = state.organization.staff ? "staff" : (state.organization.role ?? "organization key");
  return h(
    "header",
    { class: "top" },
    h("a", { class: "brand", href: "#/overview" }, "keytally"),
    state.organizations.length > 1
      ? field("Organization", picker)
      : h("span", { class: "org", "data-testid": "organization" }, state.organization.name),
    h("span", { class: "who" }, who),
    h("button", { type: "button", class: "secondary", onclick: signOut }, "Sign out"),
  );
}

function navigation(active) {
  return h(
    "nav",
    { "aria-label": "Views" },
    h(
      "ul",
      {},
      Object.entries(VIEWS).map(([name, view]) =>
        h("li", {}, h("a", { href: `#/${name}`, "aria-current": name === active ? "page" : null }, view.title)),
      ),
    ),
  );
}

function render() {
  const name = currentView();
  const view = VIEWS[name];
  const main = h("main", { id: "main", "data-view": name });
  replace(root, header(), navigation(name), main, progress);
  document.title = `${view.title} · keytally`;
  const context = {
    api: state.api,
    organization: state.organization,
    organizationSlug: state.organization.organizationSlug,
    range: state.range,
    setRange(range) {
      state.range = range;
      render();
    },
    refresh: render,
    may: (scope) => state.organization.scope_names.includes(scope),
    // an organization key is no user's: it has neither a role nor staff's reach
    isUsers: state.organization.role !== null || state.organization.staff,
    // a read-only token reads every view and changes nothing
    readOnly: state.organization.read_only,
    boundHere: boundTo(session.credential(), state.organization) === state.organization.organizationSlug,
  };
  main.append(h("h1", {}, view.title));
  main.setAttribute("aria-busy", "true");
  const shown = view.needs && !context.may(view.needs) ? refused(view, main) : view.render(context, main);
  shown
    .catch((error) => main.append(errorNotice(error)))
    .finally(() => {
      main.removeAttribute("aria-busy");
      main.dataset.ready = "true";
    });
}

// A view the credential may not read here says so instead of asking the API for a 403.
async function refused(view, main) {
  main.append(
    h(
      "p",
      { class: "empty" },
      `This credential may not read ${view.title.toLowerCase()} here: it lacks ${view.needs} in this organization.`,
    ),
  );
}

window.addEventListener("hashchange", () => state.organization && render());
start();

// The dashboard's shell: sign-in, the organization picker, the navigation between views, and the view's state read
// from the URL (route.js): organization, range, zone, live refresh and the view's filters. Every figure comes from
// keytally's public JSON API, asked with the credential the person signed in with.
import { ApiError, client, onBusy } from "./api.js";
import { errorNotice, field, h, replace, select } from "./dom.js";
import { LIVE_PRESETS, rangeOf, rangeParams } from "./range.js";
import { href, parse } from "./route.js";
import { boundTo, session } from "./session.js";
import { useZone } from "./zone.js";
import * as key from "./views/key.js";
import * as keys from "./views/keys.js";
import * as metrics from "./views/metrics.js";
import * as overview from "./views/overview.js";
import * as requests from "./views/requests.js";
import * as team from "./views/team.js";
import * as tokens from "./views/tokens.js";
import * as verifications from "./views/verifications.js";

// the views in the navigation, then those reached from another view (a key's own page)
const VIEWS = { overview, verifications, requests, keys, tokens, metrics, team, key };
const LIVE_SECONDS = 30;
const root = document.getElementById("app");
const state = { api: null, organizations: [], organization: null };
let liveTimer = null;

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
  render();
}

const bySlug = (slug) => state.organizations.find((org) => org.organizationSlug === slug);

// The state every view shares, carried from view to view: the organization, the range, the zone, live refresh.
function shared(params) {
  const { org, range, start, end, tz, live } = params;
  return { org, range, start, end, tz, live };
}

// Shows a view; the same URL again renders again (the hashchange would not come).
function go(view, params) {
  const target = href(view, params);
  clearTimeout(liveTimer);
  if (target === location.hash) render();
  else location.hash = target;
}

function header() {
  const picker = select(
    "organization",
    state.organizations.map((org) => [org.organizationSlug, `${org.name} (${org.organizationSlug})`]),
    state.organization.organizationSlug,
  );
  // another organization's view starts from no filters: its APIs and keys are not this one's
  picker.addEventListener("change", () =>
    go(currentName(), { ...shared(parse(location.hash).params), org: picker.value }),
  );
  const who = state.organization.staff ? "staff" : (state.organization.role ?? "organization key");
  return h(
    "header",
    { class: "top" },
    h("a", { class: "brand", href: href("overview", shared(parse(location.hash).params)) }, "keytally"),
    state.organizations.length > 1
      ? field("Organization", picker)
      : h("span", { class: "org", "data-testid": "organization" }, state.organization.name),
    h("span", { class: "who" }, who),
    h("button", { type: "button", class: "secondary", onclick: signOut }, "Sign out"),
  );
}

function navigation(active, params) {
  return h(
    "nav",
    { "aria-label": "Views" },
    h(
      "ul",
      {},
      Object.entries(VIEWS)
        .filter(([, view]) => !view.reached)
        .map(([name, view]) =>
          h(
            "li",
            {},
            h("a", { href: href(name, shared(params)), "aria-current": name === active ? "page" : null }, view.title),
          ),
        ),
    ),
  );
}

function currentName() {
  const { view } = parse(location.hash);
  return view in VIEWS ? view : "overview";
}

// Live: the view again, where the reader is on the page; not while they are editing a form (a filter being typed
// would be lost), but once they leave it.
function liveRefresh() {
  if (document.activeElement?.closest("main form")) {
    liveTimer = setTimeout(liveRefresh, LIVE_SECONDS * 1000);
    return;
  }
  render({ scrollY: window.scrollY });
}

function render({ scrollY = null } = {}) {
  clearTimeout(liveTimer);
  const { view: asked, params } = parse(location.hash);
  const name = currentName();
  // the URL's organization if this credential may see it, else the one chosen last in this tab, else the first
  const chosen = bySlug(params.org) ?? bySlug(session.organization()) ?? state.organizations[0];
  const unseen = params.org && params.org !== chosen.organizationSlug ? params.org : null;
  if (asked !== name || params.org !== chosen.organizationSlug) {
    params.org = chosen.organizationSlug;
    history.replaceState(null, "", href(name, params));
  }
  state.organization = chosen;
  session.choose(chosen.organizationSlug);
  useZone(params.tz);
  const range = rangeOf(params);
  const view = VIEWS[name];
  const main = h("main", { id: "main", "data-view": name });
  replace(root, header(), navigation(name, params), main, progress);
  document.title = `${view.title} · keytally`;
  const context = {
    api: state.api,
    organization: state.organization,
    organizationSlug: state.organization.organizationSlug,
    params,
    range,
    live: params.live === "1" && LIVE_PRESETS.includes(range.preset),
    liveSeconds: LIVE_SECONDS,
    // this view with some of its parameters changed (null drops one)
    navigate: (changes) => go(name, { ...params, ...changes }),
    // another view, with the shared state and its own parameters
    link: (view, own = {}) => href(view, { ...shared(params), ...own }),
    setRange: (chosenRange) => go(name, { ...params, ...rangeParams(chosenRange) }),
    setZone: (zoneName) => go(name, { ...params, tz: zoneName === "UTC" ? null : zoneName }),
    setLive: (on) => go(name, { ...params, live: on ? 1 : null }),
    may: (scope) => state.organization.scope_names.includes(scope),
    // an organization key is no user's: it has neither a role nor staff's reach
    isUsers: state.organization.role !== null || state.organization.staff,
    // a read-only token reads every view and changes nothing
    readOnly: state.organization.read_only,
    boundHere: boundTo(session.credential(), state.organization) === state.organization.organizationSlug,
  };
  main.append(h("h1", {}, view.title));
  if (unseen) {
    main.append(
      h("p", { class: "notice-line", role: "status" }, `This credential cannot see ${unseen}: this is ${chosen.name}.`),
    );
  }
  main.setAttribute("aria-busy", "true");
  const shown = view.needs && !context.may(view.needs) ? refused(view, main) : view.render(context, main);
  shown
    .catch((error) => main.append(errorNotice(error)))
    .finally(() => {
      main.removeAttribute("aria-busy");
      main.dataset.ready = "true";
      if (scrollY !== null) window.scrollTo(0, scrollY);
      if (context.live && main.isConnected) liveTimer = setTimeout(liveRefresh, LIVE_SECONDS * 1000);
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

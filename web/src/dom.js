// Building the page: elements from data (text is always set as text, never parsed as HTML) and number formats.
import { wallTime, zone } from "./zone.js";

export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name in element && typeof element[name] !== "function" && !name.includes("-")) element[name] = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...flatten(children));
  return element;
}

function flatten(children) {
  return children
    .flat(Infinity)
    .filter((child) => child !== null && child !== undefined && child !== false)
    .map((child) => (child instanceof Node ? child : String(child)));
}

export function replace(element, ...children) {
  element.replaceChildren(...flatten(children));
  return element;
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const rate = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 3 });

const missing = (value) => value === null || value === undefined;
const orDash = (show) => (value) => (missing(value) ? "—" : show(value));

export const format = {
  count: orDash((value) => integer.format(value)),
  number: orDash((value) => decimal.format(value)),
  rate: orDash((value) => rate.format(value)),
  percent: orDash((value) => `${decimal.format(value)}%`),
  ms: orDash((value) => `${decimal.format(value)} ms`),
  date: (value) => (value ? `${wallTime(Date.parse(value))} ${zone()}` : "never"),
};

// A figure: its label, its value as people read it, and its exact value in data-value (what the tests compare).
export function stat(label, value, metric, formatter = format.count, extra = null) {
  return h(
    "div",
    { class: "stat", "data-metric": metric, "data-value": value ?? "" },
    h("dt", {}, label),
    h("dd", {}, h("span", { class: "stat-value" }, formatter(value)), extra),
  );
}

export function stats(...items) {
  return h("dl", { class: "stats" }, items);
}

export function section(title, ...content) {
  return h("section", { class: "card", "aria-label": title }, h("h2", {}, title), content);
}

// A table that scrolls sideways on a narrow screen (focusable, so a keyboard can scroll it too).
export function table(caption, columns, rows, { empty = "Nothing in this range.", testid } = {}) {
  if (rows.length === 0) return h("p", { class: "empty", "data-testid": testid && `${testid}-empty` }, empty);
  return h(
    "div",
    { class: "table-scroll", tabindex: 0, role: "region", "aria-label": caption },
    h(
      "table",
      { "data-testid": testid },
      h("caption", { class: "visually-hidden" }, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map((column) => h("th", { scope: "col" }, column.label)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h(
            "tr",
            {},
            columns.map((column) => {
              const value = column.value(row);
              const cell = column.render ? column.render(row) : orDash(column.format ?? String)(value);
              return h("td", { "data-column": column.key, "data-value": value ?? "" }, cell);
            }),
          ),
        ),
      ),
    ),
  );
}

export function field(label, control, hint = null) {
  const id = control.id || `field-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    hint && h("small", { class: "hint" }, hint),
  );
}

export function select(name, options, selected) {
  return h(
    "select",
    { name },
    options.map(([value, label]) => h("option", { value, selected: value === selected }, label)),
  );
}

export function copyButton(text, label = "Copy") {
  const button = h("button", { type: "button", class: "secondary" }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy it by hand";
    }
  });
  return button;
}

// A row of filters with an Apply button: submitting calls apply, which reads the controls.
export function filterForm(fields, apply) {
  const form = h(
    "form",
    { class: "filters", "aria-label": "Filters" },
    fields.map(([label, control]) => field(label, control)),
    h("button", { type: "submit" }, "Apply"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  return form;
}

// An API error as people read it (api.js words it).
export function errorNotice(error) {
  return h("p", { class: "error", role: "alert", "data-status": error.status ?? "" }, error.message);
}

// Runs work; if it fails, the sentence saying why replaces what `target` shows.
export async function attempt(target, work) {
  try {
    await work();
  } catch (error) {
    target.replaceChildren(errorNotice(error));
  }
}

// A secret keytally returns only on create: shown in a panel with a copy button until "Done" empties the container.
export function showOnce(container, { created, label, value, testid }) {
  const shown = h("textarea", { readonly: true, rows: 2, "data-testid": testid, class: "secret", spellcheck: false });
  shown.value = value;
  container.replaceChildren(
    h(
      "div",
      { class: "once", role: "alert" },
      h("p", {}, h("strong", {}, `${created} created. `), "Copy it now: keytally shows it only this once."),
      field(label, shown),
      h(
        "div",
        { class: "actions" },
        copyButton(value),
        h("button", { type: "button", class: "secondary", onclick: () => container.replaceChildren() }, "Done"),
      ),
    ),
  );
  shown.select();
}

// A destructive button that asks once more ("Confirm revoke") before it acts.
export function confirmingButton(label, act) {
  const button = h("button", { type: "button", class: "danger" }, label);
  button.addEventListener("click", () => {
    if (button.dataset.confirming) return act();
    button.dataset.confirming = "true";
    button.textContent = `Confirm ${label.toLowerCase()}`;
  });
  return button;
}

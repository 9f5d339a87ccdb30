// The time range every analytics view reads: a preset (the last 24 hours, 7 or 30 days) or two dates (UTC, whole
// days). Resolved to Unix milliseconds when a view loads; the view shows the exact range it asked for.
import { field, h, select } from "./dom.js";

export const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PRESETS = { "24h": ["Last 24 hours", DAY], "7d": ["Last 7 days", 7 * DAY], "30d": ["Last 30 days", 30 * DAY] };

export function resolve(range, now = Date.now()) {
  if (range.preset !== "custom") {
    const end = Math.ceil(now / 60_000) * 60_000;
    return { start: end - PRESETS[range.preset][1], end };
  }
  const start = Date.parse(`${range.from}T00:00:00Z`);
  const end = Date.parse(`${range.to}T00:00:00Z`) + DAY;
  return { start, end };
}

function isoDate(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

export function describe({ start, end }) {
  const show = (ms) => new Date(ms).toISOString().replace("T", " ").slice(0, 16);
  return `${show(start)} – ${show(end)} UTC`;
}

// The range picker: changing it calls onChange with the new range (custom dates only once both are valid).
export function rangeControl(range, onChange) {
  const preset = select(
    "range",
    [...Object.entries(PRESETS).map(([value, [label]]) => [value, label]), ["custom", "Dates…"]],
    range.preset,
  );
  const today = isoDate(Date.now());
  const from = h("input", {
    type: "date",
    name: "from",
    value: range.from ?? isoDate(Date.now() - 7 * DAY),
    max: today,
  });
  const to = h("input", { type: "date", name: "to", value: range.to ?? today, max: today });
  const dates = h("div", { class: "dates", hidden: range.preset !== "custom" }, field("From", from), field("To", to));
  const changed = () => {
    dates.hidden = preset.value !== "custom";
    if (preset.value === "custom" && !(from.value && to.value && from.value <= to.value)) return;
    onChange({ preset: preset.value, from: from.value, to: to.value });
  };
  for (const control of [preset, from, to]) control.addEventListener("change", changed);
  return h("div", { class: "range" }, field("Range", preset), dates);
}

// The time range every analytics view reads: a preset (the last hour ... the last 30 days) or a start and an end
// (two dates' whole days in the chosen zone, or what a drag across a chart picked). Resolved to Unix milliseconds
// when a view loads; the view shows the exact range it asked for, in the chosen zone.
import { field, h, select } from "./dom.js";
import { dateIn, midnight, useZone, wallTime, zone, zones } from "./zone.js";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const PRESETS = {
  "1h": ["Last hour", HOUR],
  "6h": ["Last 6 hours", 6 * HOUR],
  "24h": ["Last 24 hours", DAY],
  "7d": ["Last 7 days", 7 * DAY],
  "30d": ["Last 30 days", 30 * DAY],
};
export const DEFAULT_PRESET = "7d";
export const LIVE_PRESETS = ["1h", "6h", "24h"]; // short enough to watch: the live toggle refreshes them

// The range a URL's parameters name: `start` and `end` (Unix ms) if both are sound, else the preset `range`.
export function rangeOf(params) {
  const start = Number(params.start);
  const end = Number(params.end);
  if (params.start && params.end && Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start) {
    if (start < end) return { preset: "custom", start, end };
  }
  return { preset: params.range in PRESETS ? params.range : DEFAULT_PRESET };
}

// The URL's parameters for a range (the other form's set to null, so that navigating drops them).
export function rangeParams(range) {
  return range.preset === "custom"
    ? { range: null, start: range.start, end: range.end }
    : { range: range.preset, start: null, end: null };
}

export function resolve(range, now = Date.now()) {
  if (range.preset === "custom") return { start: range.start, end: range.end };
  const end = Math.ceil(now / MINUTE) * MINUTE;
  return { start: end - PRESETS[range.preset][1], end };
}

export function describe({ start, end }) {
  return `${wallTime(start)} – ${wallTime(end)} ${zone()}`;
}

// A range narrowed to [start, end), widened to whole minutes (at least one).
export function narrowed(start, end) {
  const from = Math.floor(start / MINUTE) * MINUTE;
  return { preset: "custom", start: from, end: Math.max(from + MINUTE, Math.ceil(end / MINUTE) * MINUTE) };
}

function nextDate(date) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY).toISOString().slice(0, 10);
}

// The range picker and the zone picker: a change calls setRange (custom dates only once both are valid) or setZone.
export function rangeControl(context) {
  const { range } = context;
  const shown = resolve(range);
  const preset = select(
    "range",
    [...Object.entries(PRESETS).map(([value, [label]]) => [value, label]), ["custom", "Dates…"]],
    range.preset,
  );
  const today = dateIn(Date.now());
  const from = h("input", { type: "date", name: "from", value: dateIn(shown.start), max: today });
  const to = h("input", { type: "date", name: "to", value: dateIn(shown.end - 1), max: today });
  const dates = h("div", { class: "dates", hidden: range.preset !== "custom" }, field("From", from), field("To", to));
  const changed = () => {
    dates.hidden = preset.value !== "custom";
    if (preset.value !== "custom") return context.setRange({ preset: preset.value });
    if (!(from.value && to.value && from.value <= to.value)) return;
    context.setRange({ preset: "custom", start: midnight(from.value), end: midnight(nextDate(to.value)) });
  };
  for (const control of [preset, from, to]) control.addEventListener("change", changed);
  const zonePicker = select(
    "zone",
    zones().map((name) => [name, name]),
    zone(),
  );
  zonePicker.addEventListener("change", () => context.setZone(useZone(zonePicker.value)));
  const live = h("input", { type: "checkbox", name: "live", checked: context.live });
  live.addEventListener("change", () => context.setLive(live.checked));
  return h(
    "div",
    { class: "range" },
    field("Range", preset),
    dates,
    field("Time zone", zonePicker),
    LIVE_PRESETS.includes(range.preset) &&
      h("label", { class: "live" }, live, ` Live: refresh every ${context.liveSeconds} s`),
  );
}

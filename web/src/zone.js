// The one time zone every time on the page is read in: UTC unless the person chooses another (it travels in the URL,
// so a shared view reads the same). Slices the API counts in (hours, days) keep their UTC bounds.

let current = "UTC";

export function isZone(name) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export function useZone(name) {
  current = name && isZone(name) ? name : "UTC";
  return current;
}

export const zone = () => current;

// The zones offered: UTC, the one in use, the browser's own, then every zone the browser knows.
export function zones() {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set(["UTC", current, own, ...known])];
}

const formatters = new Map();
function parts(ms, name) {
  if (!formatters.has(name)) {
    const options = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" };
    formatters.set(name, new Intl.DateTimeFormat("en-US", { ...options, hourCycle: "h23", timeZone: name }));
  }
  return Object.fromEntries(
    formatters
      .get(name)
      .formatToParts(ms)
      .map(({ type, value }) => [type, value]),
  );
}

// "2026-12-05 14:30" in the zone (or the one given).
export function wallTime(ms, name = current) {
  const p = parts(ms, name);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

export function dateIn(ms, name = current) {
  return wallTime(ms, name).slice(0, 10);
}

// How far the zone's clock is ahead of UTC at that instant, in milliseconds (whole minutes).
function offset(ms, name) {
  const p = parts(ms, name);
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute) - Math.floor(ms / 60_000) * 60_000;
}

// The instant a date ("2026-12-05") begins in the zone; twice, so that a DST change that day is taken into account.
export function midnight(date, name = current) {
  const wall = Date.parse(`${date}T00:00:00Z`);
  const first = wall - offset(wall, name);
  return wall - offset(first, name);
}

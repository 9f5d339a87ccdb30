// Time-series charts with uPlot: outcomes stacked as bars, and lines. Each chart fills its container's width and
// follows it; its figures are also in the tables beside it (the chart is an image to a screen reader). Times read in
// the chosen zone. A drag across a chart, or a click on a slice, narrows the range of the whole view (`narrow`;
// `slice` is a slice's length, or what gives the end of the slice starting then).
import uPlot from "uplot";
import { h } from "./dom.js";
import { zone } from "./zone.js";

const HEIGHT = 260;
const CLICK_SLOP = 3; // pixels a press may move and still be a click

function baseOptions() {
  const zoneName = zone();
  return {
    axes: [{}, { size: 56 }],
    scales: { x: { time: true }, y: { range: (plot, min, max) => [0, Math.max(1, max)] } },
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), zoneName),
  };
}

const timeSeries = () => ({ label: `Time (${zone()})`, value: "{YYYY}-{MM}-{DD} {HH}:{mm}" });

// A drag selects [start, end); a click (a press that did not move) selects the slice under the cursor.
function narrowing(narrow, slice) {
  if (!narrow) return {};
  let pressedAt = null;
  return {
    cursor: { drag: { x: true, y: false, setScale: false } },
    hooks: {
      ready: [
        (plot) => {
          plot.over.addEventListener("mousedown", (event) => (pressedAt = event.clientX));
          plot.over.addEventListener("click", (event) => {
            const index = plot.cursor.idx;
            if (pressedAt === null || Math.abs(event.clientX - pressedAt) > CLICK_SLOP || index == null) return;
            const start = plot.data[0][index] * 1000;
            narrow(start, typeof slice === "function" ? slice(start) : start + slice);
          });
        },
      ],
      setSelect: [
        (plot) => {
          const { left, width } = plot.select;
          if (width <= CLICK_SLOP) return;
          narrow(plot.posToVal(left, "x") * 1000, plot.posToVal(left + width, "x") * 1000);
        },
      ],
    },
  };
}

// The chart follows its holder's width once in the page (it may be drawn before), and is destroyed once a new view
// has replaced it.
function mount(container, options, data, description) {
  const holder = h("div", { class: "chart", role: "img", "aria-label": description });
  container.append(holder);
  const width = () => Math.max(280, holder.clientWidth || container.clientWidth || 600);
  const plot = new uPlot({ ...baseOptions(), ...options, width: width(), height: HEIGHT }, data, holder);
  let shown = false;
  const observer = new ResizeObserver(() => {
    if (holder.isConnected) {
      shown = true;
      return plot.setSize({ width: width(), height: HEIGHT });
    }
    if (!shown) return;
    observer.disconnect();
    plot.destroy();
  });
  observer.observe(holder);
}

// Bars stacked by series: each bar is drawn at the running total, largest first, so each series shows its own
// share; the legend and the tooltips show each series' own value.
export function stackedBars(container, times, series, description, { narrow, slice } = {}) {
  const running = [];
  let below = times.map(() => 0);
  for (const { values } of series) {
    below = below.map((sum, i) => sum + (values[i] ?? 0));
    running.push(below);
  }
  const bars = uPlot.paths.bars({ size: [0.8, 48] });
  const drawn = series.map(({ label, color, values }) => ({
    label,
    fill: color,
    stroke: color,
    paths: bars,
    points: { show: false },
    value: (plot, value, seriesIndex, index) => (index === null ? "—" : String(values[index] ?? 0)),
  }));
  mount(
    container,
    { series: [timeSeries(), ...drawn.reverse()], ...narrowing(narrow, slice) },
    [times, ...running.reverse()],
    description,
  );
}

export function lines(container, times, series, description, { narrow, slice, unit = "" } = {}) {
  const drawn = series.map(({ label, color }) => ({
    label,
    stroke: color,
    width: 2,
    points: { show: times.length <= 24 }, // a few slices: each a dot (one alone draws no line)
    value: (plot, value) => (value === null || value === undefined ? "—" : `${value}${unit}`),
  }));
  mount(
    container,
    { series: [timeSeries(), ...drawn], ...narrowing(narrow, slice) },
    [times, ...series.map(({ values }) => values)],
    description,
  );
}

// Time-series charts with uPlot: outcomes stacked as bars, and lines. Each chart fills its container's width and
// follows it; its figures are also in the tables beside it (the chart is an image to a screen reader).
import uPlot from "uplot";
import { h } from "./dom.js";

const HEIGHT = 260;
const TIME = { label: "Time (UTC)", value: "{YYYY}-{MM}-{DD} {HH}:{mm}" };
const AXES_FROM_ZERO = {
  axes: [{}, { size: 56 }],
  scales: { x: { time: true }, y: { range: (plot, min, max) => [0, Math.max(1, max)] } },
  // the axis and the legend in UTC, as every date on the page, whatever the browser's zone
  tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
};

// The chart follows its holder's width, and is destroyed once a new view has replaced it.
function mount(container, options, data, description) {
  const holder = h("div", { class: "chart", role: "img", "aria-label": description });
  container.append(holder);
  const width = () => Math.max(280, holder.clientWidth || container.clientWidth || 600);
  const plot = new uPlot({ ...AXES_FROM_ZERO, ...options, width: width(), height: HEIGHT }, data, holder);
  const observer = new ResizeObserver(() => {
    if (holder.isConnected) return plot.setSize({ width: width(), height: HEIGHT });
    observer.disconnect();
    plot.destroy();
  });
  observer.observe(holder);
}

// Bars stacked by series: each bar is drawn at the running total, largest first, so each series shows its own
// share; the legend and the tooltips show each series' own value.
export function stackedBars(container, times, series, description) {
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
  mount(container, { series: [TIME, ...drawn.reverse()] }, [times, ...running.reverse()], description);
}

export function lines(container, times, series, description) {
  const drawn = series.map(({ label, color }) => ({ label, stroke: color, width: 2, points: { show: false } }));
  mount(container, { series: [TIME, ...drawn] }, [times, ...series.map(({ values }) => values)], description);
}

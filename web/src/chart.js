// Time-series charts with uPlot: outcomes stacked as bars, and lines. Each chart fills its container's width and
// follows it; its figures are also in the tables beside it (the chart is an image to a screen reader).
import uPlot from "uplot";
import { h } from "./dom.js";

const observers = new WeakMap();

function mount(container, options, data, description) {
  const holder = h("div", { class: "chart", role: "img", "aria-label": description });
  container.append(holder);
  const width = () => Math.max(280, holder.clientWidth || container.clientWidth || 600);
  const plot = new uPlot({ ...options, width: width(), height: 260 }, data, holder);
  const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: 260 }));
  observer.observe(holder);
  observers.set(holder, observer);
  holder.plot = plot;
  return holder;
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
  const drawn = series
    .map((item, index) => ({ ...item, stacked: running[index], index }))
    .reverse()
    .map((item) => ({
      label: item.label,
      fill: item.color,
      stroke: item.color,
      paths: bars,
      points: { show: false },
      value: (plot, value, seriesIndex, index) => (index === null ? "—" : String(series[item.index].values[index] ?? 0)),
    }));
  return mount(
    container,
    {
      series: [{ label: "Time", value: "{YYYY}-{MM}-{DD} {HH}:{mm}" }, ...drawn],
      axes: [{}, { size: 56 }],
      scales: { x: { time: true }, y: { range: (plot, min, max) => [0, Math.max(1, max)] } },
      legend: { live: true },
    },
    [times, ...series.map((_, i) => running[i]).reverse()],
    description,
  );
}

export function lines(container, times, series, description) {
  return mount(
    container,
    {
      series: [
        { label: "Time", value: "{YYYY}-{MM}-{DD} {HH}:{mm}" },
        ...series.map(({ label, color }) => ({ label, stroke: color, width: 2, points: { show: false } })),
      ],
      axes: [{}, { size: 56 }],
      scales: { x: { time: true }, y: { range: (plot, min, max) => [0, Math.max(1, max)] } },
    },
    [times, ...series.map(({ values }) => values)],
    description,
  );
}

/**
 * A chart of metric series on uPlot: axis titles, whole-number ticks on steps and epochs, nulls
 * as gaps, a legend that reads out the values under the cursor. New points (live batches) go to
 * the same plot through setData, so the chart does not flicker or lose the hover.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { metric, percent } from '../lib/format.js';
import { alignSeries, axisRange, legendLabel, tickLabels, type ChartGroup, type Point } from '../lib/series.js';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f'];
/** A stable colour per series index. */
export const color = (i: number): string => COLORS[i % COLORS.length]!;

const HEIGHT = 240;
const FONT = '12px system-ui, sans-serif';
const TITLE_FONT = '600 12px system-ui, sans-serif';
/** Tick steps for whole numbers: a step or an epoch is never split. */
const WHOLE_INCREMENTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000];

export interface MetricChartProps {
  group: ChartGroup;
  /** Each series by the name the legend gives it (on the run page its metric key, as in the table). */
  series: { name: string; points: Point[] }[];
}

export function MetricChart({ group, series }: MetricChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const figure = useRef<HTMLElement>(null);
  const plot = useRef<uPlot | null>(null);
  const accuracy = group.quantity === 'accuracy';
  const { steps, values } = alignSeries(series.map((s) => s.points));
  const data = [steps, ...values] as uPlot.AlignedData;
  const labels = series.map((s) => legendLabel(s.name, s.points));
  const drawn = series.reduce((n, s) => n + s.points.filter((p) => p.value !== null).length, 0);
  // A new set of series (a key appears) needs a new plot; new points only new data.
  const shape = JSON.stringify(labels);

  useEffect(() => {
    const el = holder.current!;
    // Under the cursor: the value, 'gap' where the series has a null there, '–' where it has no point.
    const readout = (u: uPlot, seriesIdx: number, idx: number | null) => {
      const v = idx === null ? undefined : u.data[seriesIdx]![idx];
      return v === undefined ? '–' : v === null ? 'gap' : accuracy ? percent(v) : metric(v);
    };
    const options: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: HEIGHT,
      scales: {
        // From the data: for a single step uPlot would first widen the range to round numbers (0-100).
        x: { time: false, range: (u) => axisRange('steps', u.data[0][0] ?? null, u.data[0].at(-1) ?? null) },
        y: { range: (_u, min, max) => axisRange(accuracy ? 'accuracy' : 'value', min, max) },
      },
      axes: [
        {
          label: group.xTitle,
          labelFont: TITLE_FONT,
          font: FONT,
          incrs: WHOLE_INCREMENTS,
          space: 50,
          // Recorded as drawn, so the page can be checked for what a reader sees on the canvas.
          values: (_u, splits) =>
            record(
              figure.current,
              'x',
              splits.map((v) => String(v)),
            ),
        },
        {
          label: group.yTitle,
          labelFont: TITLE_FONT,
          font: FONT,
          // Wide enough for the longest tick label, so the axis title never runs into them.
          size: (_u, values) => 24 + 7 * Math.max(3, ...(values ?? []).map((v) => String(v).length)),
          values: (_u, splits) =>
            record(
              figure.current,
              'y',
              accuracy ? splits.map((v) => `${Math.round(v * 1000) / 10}`) : tickLabels(splits),
            ),
        },
      ],
      series: [
        { label: group.xTitle, value: (_u, v, _s, idx) => (idx === null || v === null ? '–' : String(v)) },
        ...labels.map((label, i) => ({
          label,
          stroke: color(i),
          width: 1.6,
          spanGaps: false,
          // Sparse series (per-epoch values) get a dot per point, so a single point still shows.
          points: { show: series[i]!.points.length <= 40, size: 6 },
          value: (u: uPlot, _v: number | null, seriesIdx: number, idx: number | null) => readout(u, seriesIdx, idx),
        })),
      ],
      legend: { live: true },
      hooks: {
        draw: [
          (u) => {
            figure.current?.setAttribute('data-x-title', String(u.axes[0]!.label ?? ''));
            figure.current?.setAttribute('data-y-title', String(u.axes[1]!.label ?? ''));
          },
        ],
      },
      cursor: { drag: { x: false, y: false } },
    };
    const u = new uPlot(options, data, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(280, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape, group.id]);

  // New points replace a series' array (mergeBatch), so unchanged arrays mean nothing to redraw: the
  // page re-renders every second for its clock, and setData would reset the read-out under the cursor.
  const drawnSeries = useRef<Point[][]>([]);
  useEffect(() => {
    const current = series.map((s) => s.points);
    const same = current.length === drawnSeries.current.length && current.every((p, i) => p === drawnSeries.current[i]);
    drawnSeries.current = current;
    if (!same) plot.current?.setData(data);
  });

  return (
    <figure class="chart" ref={figure} data-chart={group.id} data-points={drawn}>
      <figcaption>{group.title}</figcaption>
      <div class="plot" ref={holder} />
    </figure>
  );
}

/** Writes an axis's tick labels on the figure (data-x-ticks, data-y-ticks) and returns them. */
function record(figure: HTMLElement | null, axis: 'x' | 'y', labels: string[]): string[] {
  figure?.setAttribute(`data-${axis}-ticks`, JSON.stringify(labels));
  return labels;
}

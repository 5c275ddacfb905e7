/**
 * A study's rows on uPlot: parameters against robust accuracy (the worst case over the attacks), one
 * colour per arm. The row under the cursor is read out below; a click opens its run. Made once; new rows (a live
 * study) arrive through setData, and a new arm rebuilds it (its series are fixed at creation).
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { studyPlotData, type PlotRow } from '../lib/study.js';

const FONT = '12px system-ui, sans-serif';
const X_TITLE = 'parameters';
const Y_TITLE = 'robust accuracy, worst case (%)';
const TITLE_FONT = '600 12px system-ui, sans-serif';
/** One colour per arm, in the contract's order of arms (LRNAS first, in the strongest). */
const COLOURS = ['#d97706', '#2563eb', '#7c3aed', '#0891b2', '#64748b', '#16a34a', '#db2777', '#78350f'];

export function StudyChart(props: { rows: PlotRow[]; onSelect?: (runId: string) => void }) {
  const holder = useRef<HTMLDivElement>(null);
  const readout = useRef<HTMLParagraphElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = studyPlotData(props.rows);
  const current = useRef(data);
  current.current = data;
  const select = useRef(props.onSelect);
  select.current = props.onSelect;
  const shown = data.xs.length > 0;
  const arms = data.arms.join();

  useEffect(() => {
    if (!shown) return;
    const el = holder.current!;
    const first = current.current;
    const options: uPlot.Options = {
      width: Math.max(320, el.clientWidth),
      height: 300,
      // Linear: a study's rows are all sized to one budget, within a factor of a few of each other.
      scales: { x: { time: false }, y: { range: () => [0, 1] } },
      axes: [
        {
          label: X_TITLE,
          labelFont: TITLE_FONT,
          font: FONT,
          values: (_u, splits) => splits.map((v) => `${Number((v / 1e3).toPrecision(3))}k`),
        },
        {
          label: Y_TITLE,
          labelFont: TITLE_FONT,
          font: FONT,
          values: (_u, splits) => splits.map((v) => `${Math.round(v * 100)}`),
        },
      ],
      series: [
        {},
        ...first.arms.map((arm, i) => ({
          label: arm,
          stroke: COLOURS[i % COLOURS.length]!,
          paths: () => null,
          points: { show: true, size: 9, fill: COLOURS[i % COLOURS.length]!, width: 1 },
        })),
      ],
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      hooks: {
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            if (readout.current)
              readout.current.textContent = i == null ? 'Point at a row.' : (current.current.labels[i] ?? '');
          },
        ],
      },
    };
    const u = new uPlot(options, [first.xs, ...first.ys] as uPlot.AlignedData, el);
    plot.current = u;
    const click = () => {
      const i = u.cursor.idx;
      if (i != null) select.current?.(current.current.runIds[i]!);
    };
    u.over.addEventListener('click', click);
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(320, el.clientWidth), height: 300 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.over.removeEventListener('click', click);
      u.destroy();
      plot.current = null;
    };
  }, [shown, arms]);

  useEffect(() => {
    plot.current?.setData([data.xs, ...data.ys] as uPlot.AlignedData);
  }, [JSON.stringify(props.rows)]);

  if (!shown) return null;
  return (
    <figure
      class="chart scatter"
      data-chart="study"
      data-points={data.xs.length}
      data-x-title={X_TITLE}
      data-y-title={Y_TITLE}
    >
      <figcaption>
        Robust accuracy against parameters, one colour per row of the table (click a point to open its run)
      </figcaption>
      <div class="plot" ref={holder} />
      <p class="readout muted" ref={readout}>
        Point at a row.
      </p>
    </figure>
  );
}

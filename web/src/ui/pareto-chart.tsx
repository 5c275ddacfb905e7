/**
 * The leaderboard's architectures on uPlot: parameters (log axis) against robust accuracy, the
 * Pareto front as a step line through its points. The architecture under the cursor is read out
 * below; a click opens it. The plot is made once and takes new points (a live leaderboard update)
 * through setData, so an update neither replaces it nor loses the hover.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { scatterData, type ScatterPoint } from '../lib/scatter.js';

const FONT = '12px system-ui, sans-serif';
const TITLE_FONT = '600 12px system-ui, sans-serif';

export function ParetoChart(props: { points: ScatterPoint[]; onSelect?: (id: string) => void }) {
  const holder = useRef<HTMLDivElement>(null);
  const readout = useRef<HTMLParagraphElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = scatterData(props.points);
  // The plot's hooks read the points of the latest render.
  const current = useRef(data);
  current.current = data;
  const select = useRef(props.onSelect);
  select.current = props.onSelect;
  const shown = data.ids.length > 0;
  const points = JSON.stringify(props.points);

  useEffect(() => {
    if (!shown) return;
    const el = holder.current!;
    const options: uPlot.Options = {
      width: Math.max(320, el.clientWidth),
      height: 280,
      scales: { x: { time: false, distr: 3 }, y: { range: () => [0, 1] } },
      axes: [
        {
          label: 'parameters (log scale)',
          labelFont: TITLE_FONT,
          font: FONT,
          // A log axis passes null for the splits it leaves unlabelled (3, 4, 6... times a power of ten).
          values: (_u, splits) => splits.map((v) => (v == null ? '' : logTick(v))),
        },
        {
          label: 'robust accuracy (%)',
          labelFont: TITLE_FONT,
          font: FONT,
          values: (_u, splits) => splits.map((v) => `${Math.round(v * 100)}`),
        },
      ],
      series: [
        {},
        {
          label: 'architectures',
          stroke: '#64748b',
          fill: '#94a3b8',
          paths: () => null,
          points: { show: true, size: 8, fill: '#94a3b8', width: 1 },
        },
        {
          label: 'Pareto front',
          stroke: '#d97706',
          width: 1.5,
          dash: [4, 3],
          spanGaps: true,
          paths: uPlot.paths.stepped!({ align: 1 }),
          points: { show: true, size: 10, fill: '#d97706' },
        },
      ],
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      hooks: {
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            if (readout.current)
              readout.current.textContent = i == null ? 'Point at an architecture.' : current.current.labels[i]!;
          },
        ],
      },
    };
    const first = current.current;
    const u = new uPlot(options, [first.xs, first.ys, first.front] as uPlot.AlignedData, el);
    plot.current = u;
    const click = () => {
      const i = u.cursor.idx;
      if (i != null) select.current?.(current.current.ids[i]!);
    };
    u.over.addEventListener('click', click);
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(320, el.clientWidth), height: 280 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.over.removeEventListener('click', click);
      u.destroy();
      plot.current = null;
    };
  }, [shown]);

  useEffect(() => {
    plot.current?.setData([data.xs, data.ys, data.front] as uPlot.AlignedData);
  }, [points]);

  // An empty board says why below the filters; an empty plot would only repeat it.
  if (!shown) return null;
  return (
    <figure
      class="chart scatter"
      data-chart="pareto"
      data-points={data.ids.length}
      data-front={JSON.stringify(data.ids.filter((_, i) => data.front[i] !== undefined))}
    >
      <figcaption>Parameters against robust accuracy: the Pareto front in orange (click a point to open it)</figcaption>
      <div class="plot" ref={holder} />
      <p class="readout muted" ref={readout}>
        Point at an architecture.
      </p>
    </figure>
  );
}

/** 2000 as 2k, 100000 as 100k: round numbers of a log axis, short. */
function logTick(v: number): string {
  if (v >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (v >= 1e3) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

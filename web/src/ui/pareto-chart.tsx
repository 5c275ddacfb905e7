/**
 * The leaderboard's architectures on uPlot: parameters (log axis) against robust accuracy, the
 * Pareto front as a step line through its points. The architecture under the cursor is read out
 * below; a click opens it. The plot is made once and takes new points (a live leaderboard update)
 * through setData, so an update neither replaces it nor loses the hover.
 */
import uPlot from 'uplot';
import { scatterData, type ScatterPoint } from '../lib/scatter.js';
import { FONT, TITLE_FONT, useScatterPlot } from './scatter-plot.js';

export function ParetoChart(props: { points: ScatterPoint[]; onSelect?: (id: string) => void }) {
  const data = scatterData(props.points);
  const shown = data.ids.length > 0;
  const { holder, readout } = useScatterPlot({
    shown,
    height: 280,
    data: [data.xs, data.ys, data.front] as uPlot.AlignedData,
    labels: data.labels,
    ids: data.ids,
    prompt: 'Point at an architecture.',
    options: () => ({
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
    }),
    onSelect: props.onSelect,
    // Made once: new points (a live leaderboard update) only set its data.
    rebuild: '',
    update: JSON.stringify(props.points),
  });

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

/**
 * A study's rows on uPlot: parameters against robust accuracy (the worst case over the attacks), one
 * colour per arm. The row under the cursor is read out below; a click opens its run. Made once; new rows (a live
 * study) arrive through setData, and a new arm rebuilds it (its series are fixed at creation).
 */
import type uPlot from 'uplot';
import { studyPlotData, type PlotRow } from '../lib/study.js';
import { FONT, TITLE_FONT, useScatterPlot } from './scatter-plot.js';

const X_TITLE = 'parameters';
const Y_TITLE = 'robust accuracy, worst case (%)';
/** One colour per arm, in the contract's order of arms (LRNAS first, in the strongest). */
const COLOURS = ['#d97706', '#2563eb', '#7c3aed', '#0891b2', '#64748b', '#16a34a', '#db2777', '#78350f'];

export function StudyChart(props: { rows: PlotRow[]; onSelect?: (runId: string) => void }) {
  const data = studyPlotData(props.rows);
  const shown = data.xs.length > 0;
  const { holder, readout } = useScatterPlot({
    shown,
    height: 300,
    data: [data.xs, ...data.ys] as uPlot.AlignedData,
    labels: data.labels,
    ids: data.runIds,
    prompt: 'Point at a row.',
    options: () => ({
      // Linear: a study's rows are all sized to one budget, within a factor of a few of each other.
      // Padded, so that the smallest and the largest row are not drawn on the frame.
      scales: { x: { time: false, range: (_u, min, max) => paddedRange(min, max) }, y: { range: () => [0, 1] } },
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
        ...data.arms.map((arm, i) => ({
          label: arm,
          stroke: COLOURS[i % COLOURS.length]!,
          paths: () => null,
          points: { show: true, size: 9, fill: COLOURS[i % COLOURS.length]!, width: 1 },
        })),
      ],
    }),
    onSelect: props.onSelect,
    // A new arm needs a new plot: its series are fixed at creation.
    rebuild: data.arms.join(),
    update: JSON.stringify(props.rows),
  });

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

/** [min, max] widened by 6 % of their span on each side (2 % of max when all rows have one size), never below 0. */
function paddedRange(min: number, max: number): uPlot.Range.MinMax {
  const pad = Math.max((max - min) * 0.06, Math.abs(max) * 0.02, 1);
  return [Math.max(0, min - pad), max + pad];
}

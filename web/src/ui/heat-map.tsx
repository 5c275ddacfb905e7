/**
 * A matrix as a table of coloured cells: every column header in full (set vertically), row
 * headers as state names, a colour scale with its end values, and the value under the pointer
 * read out below (and in each cell's tooltip).
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { metric } from '../lib/format.js';
import { extent } from '../lib/scale.js';

/** The colour of a value at `t` (0 to 1) along the scale: light to dark blue. */
export const heatColor = (t: number): string => `hsl(215 80% ${Math.round(96 - Math.min(1, Math.max(0, t)) * 58)}%)`;

export function HeatMap(props: {
  title: string;
  /** Each row's header (markup) and its name in plain text, for the read-out. */
  rows: { header: ComponentChildren; text: string }[];
  cols: readonly string[];
  values: number[][];
}) {
  const [hover, setHover] = useState<string | null>(null);
  const d = extent(props.values.flat()) ?? { min: 0, max: 1 };
  const t = (v: number) => (v - d.min) / (d.max - d.min || 1);
  return (
    <figure class="chart heatmap" data-chart={props.title}>
      <figcaption>{props.title}</figcaption>
      <table class="heat" onMouseLeave={() => setHover(null)}>
        <thead>
          <tr>
            <th />
            {props.cols.map((c) => (
              <th key={c} class="col" scope="col">
                <span>{c}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={r.text}>
              <th scope="row">{r.header}</th>
              {(props.values[i] ?? []).map((v, j) => {
                const readout = `${r.text} · ${props.cols[j]}: ${metric(v)}`;
                return (
                  <td
                    key={j}
                    style={{ background: heatColor(t(v)) }}
                    title={readout}
                    data-value={v}
                    onMouseEnter={() => setHover(readout)}
                  />
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <div class="scale" aria-label="colour scale">
        <span>{metric(d.min)}</span>
        <span
          class="bar"
          style={{ background: `linear-gradient(to right, ${heatColor(0)}, ${heatColor(0.5)}, ${heatColor(1)})` }}
        />
        <span>{metric(d.max)}</span>
      </div>
      <p class="readout muted">{hover ?? 'Point at a cell for its value.'}</p>
    </figure>
  );
}

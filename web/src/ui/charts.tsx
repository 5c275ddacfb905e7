/** The leaderboard's scatter of parameters against robust accuracy, in SVG. */
import { extent, linear, logTicks, ticks } from '../lib/scale.js';
import { count } from '../lib/format.js';

const W = 520;
const H = 220;
const M = { top: 12, right: 12, bottom: 28, left: 56 };

export interface ScatterPoint {
  id: string;
  x: number;
  y: number;
  label: string;
  onFront: boolean;
}

/** Parameters (log axis) against robust accuracy; the front drawn as a step line, its points filled. */
export function ParetoScatter(props: { points: ScatterPoint[]; onSelect?: (id: string) => void }) {
  // An empty board says why below the filters; an empty plot would only repeat it.
  if (props.points.length === 0) return null;
  const logs = props.points.map((p) => Math.log10(Math.max(1, p.x)));
  const xd = extent(logs)!;
  const yd = extent(props.points.map((p) => p.y))!;
  const xd2 = { min: xd.min - 0.05, max: xd.max + 0.05 };
  const yd2 = { min: Math.max(0, yd.min - 0.05), max: Math.min(1, yd.max + 0.05) };
  const x = linear(xd2, M.left, W - M.right);
  const y = linear(yd2.max > yd2.min ? yd2 : { min: 0, max: 1 }, H - M.bottom, M.top);
  const front = props.points.filter((p) => p.onFront).sort((a, b) => a.x - b.x);
  const frontPath = front
    .map((p, i) => {
      const px = x(Math.log10(Math.max(1, p.x)));
      const py = y(p.y);
      return i === 0 ? `M${px},${py}` : `H${px}V${py}`;
    })
    .join('');
  return (
    <figure class="chart scatter" data-chart="pareto">
      <figcaption>parameters (log) vs robust accuracy — Pareto front highlighted</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="parameters against robust accuracy">
        <g class="axes">
          <line x1={M.left} y1={H - M.bottom} x2={W - M.right} y2={H - M.bottom} />
          <line x1={M.left} y1={M.top} x2={M.left} y2={H - M.bottom} />
          {logTicks(xd2).map((t) => (
            <text key={t} x={x(t)} y={H - M.bottom + 16} text-anchor="middle">
              {count(10 ** t)}
            </text>
          ))}
          {ticks(yd2, 5).map((t) => (
            <text key={t} x={M.left - 6} y={y(t) + 4} text-anchor="end">
              {(t * 100).toFixed(0)}%
            </text>
          ))}
        </g>
        <path class="front" d={frontPath} fill="none" />
        {props.points.map((p, i) => (
          <circle
            key={p.id}
            cx={x(logs[i]!)}
            cy={y(p.y)}
            r={p.onFront ? 5 : 3.5}
            class={p.onFront ? 'dot front-dot' : 'dot'}
            data-arch={p.id}
            onClick={() => props.onSelect?.(p.id)}
          >
            <title>{p.label}</title>
          </circle>
        ))}
      </svg>
    </figure>
  );
}

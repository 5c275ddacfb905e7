/** A cell of a genotype drawn as a graph: inputs, four nodes, labelled edges, output. */
import { cellGraph, type CellName, type Genotype } from '../lib/genotype.js';

const W = 560;
const H = 280;
const PAD = 36;
const radius = (kind: string) => (kind === 'node' ? 13 : 17);

export function CellGraph(props: { genotype: Genotype; cell: CellName; changedSlots?: ReadonlySet<number> }) {
  const { nodes, edges } = cellGraph(props.genotype, props.cell);
  const at = new Map(nodes.map((n) => [n.id, { x: PAD + n.x * (W - 2 * PAD), y: PAD + n.y * (H - 2 * PAD) }]));
  return (
    <figure class="cell" data-cell={props.cell}>
      <figcaption>{props.cell} cell</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.cell} cell`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">
            <path d="M0,0L10,5L0,10z" fill="#64748b" />
          </marker>
        </defs>
        {edges.map((e, i) => {
          const a = at.get(e.from)!;
          const target = at.get(e.to)!;
          // End the edge at the target's rim, so its arrowhead shows.
          const toKind = nodes.find((n) => n.id === e.to)!.kind;
          const len = Math.hypot(target.x - a.x, target.y - a.y) || 1;
          const r = radius(toKind) + 2;
          const b = { x: target.x - ((target.x - a.x) / len) * r, y: target.y - ((target.y - a.y) / len) * r };
          // Two edges between the same states (both pairs of a node from one input) bend apart.
          const twin = edges.findIndex((o) => o.from === e.from && o.to === e.to);
          const bend = twin !== i ? 26 : 0;
          const mx = (a.x + b.x) / 2 - ((b.y - a.y) / Math.hypot(b.x - a.x, b.y - a.y) || 0) * bend;
          const my = (a.y + b.y) / 2 + ((b.x - a.x) / Math.hypot(b.x - a.x, b.y - a.y) || 0) * bend;
          const changed = props.changedSlots?.has(e.slot);
          return (
            <g key={i} class={`edge${e.op ? '' : ' concat'}${changed ? ' changed' : ''}`} data-op={e.op}>
              <path d={`M${a.x},${a.y}Q${mx},${my} ${b.x},${b.y}`} fill="none" marker-end="url(#arrow)" />
              {e.op && (
                <text x={(a.x + 2 * mx + b.x) / 4} y={(a.y + 2 * my + b.y) / 4 - 3} text-anchor="middle">
                  {e.op}
                </text>
              )}
            </g>
          );
        })}
        {nodes.map((n) => {
          const p = at.get(n.id)!;
          return (
            <g key={n.id} class={`node ${n.kind}`}>
              <circle cx={p.x} cy={p.y} r={radius(n.kind)} />
              <text x={p.x} y={p.y + 4} text-anchor="middle">
                {n.label}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

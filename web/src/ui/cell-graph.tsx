/**
 * A cell drawn from its dagre layout: states as boxes named in text (c with subscript k-2),
 * operations on their edges, `none` edges dashed and grey, and, given a second genotype, what
 * only one of the two has in red (−) or green (+) in the same drawing.
 */
import { cellEdges, LABEL_FONT_SIZE, layoutCell, type PlacedEdge, type StateName } from '../lib/cell-layout.js';
import type { CellName, Genotype } from '../lib/genotype.js';

/** A state's name in HTML: c<sub>k-2</sub>. */
export function StateNameText({ name }: { name: StateName }) {
  return (
    <span class="state-name">
      {name.base}
      {name.sub && <sub>{name.sub}</sub>}
    </span>
  );
}

export function CellGraph(props: {
  genotype: Genotype;
  cell: CellName;
  /** A genotype to compare with: its differences are drawn in the same graph. */
  other?: { label: string; genotype: Genotype };
  label?: string;
}) {
  const placed = layoutCell(cellEdges(props.genotype, props.cell, props.other?.genotype));
  const diff = props.other !== undefined;
  const hasNone = placed.edges.some((e) => e.op === 'none');
  return (
    <figure class="cell" data-cell={props.cell}>
      <figcaption>{props.cell} cell</figcaption>
      <div class="cell-scroll">
        <svg
          width={placed.width}
          height={placed.height}
          viewBox={`0 0 ${placed.width} ${placed.height}`}
          role="img"
          aria-label={`${props.cell} cell`}
        >
          <defs>
            {(['same', 'removed', 'added'] as const).map((c) => (
              <marker
                key={c}
                id={`arrow-${c}`}
                viewBox="0 0 10 10"
                refX="10"
                refY="5"
                markerWidth="7"
                markerHeight="7"
                orient="auto-start-reverse"
              >
                <path d="M0,0L10,5L0,10z" class={`arrowhead ${c}`} />
              </marker>
            ))}
          </defs>
          {placed.edges.map((e, i) => (
            <Edge key={i} edge={e} />
          ))}
          {placed.nodes.map((n) => (
            <g key={n.id} class={`node ${n.kind}`} data-node={n.id}>
              <rect x={n.x} y={n.y} width={n.width} height={n.height} rx={8} />
              <text x={n.x + n.width / 2} y={n.y + n.height / 2 + 4} text-anchor="middle">
                {n.name.base}
                {n.name.sub && (
                  <tspan dy="3" font-size="0.75em">
                    {n.name.sub}
                  </tspan>
                )}
              </text>
            </g>
          ))}
        </svg>
      </div>
      <p class="cell-key muted">
        {diff && (
          <>
            <span class="key removed">− only in {props.label ?? 'this'}</span>{' '}
            <span class="key added">+ only in {props.other!.label}</span>{' '}
          </>
        )}
        {hasNone && <span class="key none">none: a zero edge, no signal passes</span>}{' '}
        <span class="key concat">dotted: concatenated into the output</span>
      </p>
    </figure>
  );
}

function Edge({ edge }: { edge: PlacedEdge }) {
  const [first, ...rest] = edge.points;
  const d = `M${first!.x},${first!.y}${rest.map((p) => `L${p.x},${p.y}`).join('')}`;
  const classes = ['edge', edge.change, edge.op ? '' : 'concat', edge.op === 'none' ? 'none' : ''].filter(Boolean);
  return (
    <g class={classes.join(' ')} data-op={edge.op || undefined} data-change={edge.change}>
      <path d={d} fill="none" marker-end={`url(#arrow-${edge.change})`} />
      {edge.label && (
        <g class="edge-label">
          <rect x={edge.label.x} y={edge.label.y} width={edge.label.width} height={edge.label.height} rx={3} />
          <text
            x={edge.label.x + edge.label.width / 2}
            y={edge.label.y + edge.label.height / 2 + LABEL_FONT_SIZE * 0.35}
            text-anchor="middle"
            font-size={LABEL_FONT_SIZE}
          >
            {edge.label.text}
          </text>
        </g>
      )}
    </g>
  );
}

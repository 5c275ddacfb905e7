/** Two genotypes in one drawing per cell, and node by node in a table, with what only one of them has marked. */
import { plainName } from '../lib/alphas.js';
import { stateLabel } from '../lib/cell-layout.js';
import { diffGenotypes, readGenotype, type Genotype } from '../lib/genotype.js';
import { ARCHITECTURE_GENOTYPE } from '../lib/queries.js';
import { CellGraph } from './cell-graph.js';
import { ErrorBox, Loading } from './common.js';
import { useQuery } from './hooks.js';

/** The diff against an architecture looked up by hash. */
export function GenotypeDiffView({ a, otherHash }: { a: { label: string; genotype: Genotype }; otherHash: string }) {
  const q = useQuery<{ architecture: { hash: string; genotype: unknown } | null }>(ARCHITECTURE_GENOTYPE, {
    hash: otherHash,
  });
  if (q.error) return <ErrorBox error={q.error} />;
  if (!q.data) return <Loading />;
  if (!q.data.architecture) return <ErrorBox error={`no architecture ${otherHash}`} />;
  const { genotype, error } = readGenotype(q.data.architecture.genotype);
  if (!genotype) return <ErrorBox error={error ?? 'no genotype'} />;
  return <GenotypeDiff a={a} b={{ label: otherHash.slice(0, 12), genotype }} />;
}

export function GenotypeDiff({
  a,
  b,
}: {
  a: { label: string; genotype: Genotype };
  b: { label: string; genotype: Genotype };
}) {
  const diff = diffGenotypes(a.genotype, b.genotype);
  const pair = ([op, input]: [string, number]) =>
    `${op} ← ${input < 2 ? plainName(stateLabel(input)) : `node ${input - 2}`}`;
  return (
    <div class="diff" id="genotype-diff">
      {diff.map((cell) => (
        <section key={cell.cell}>
          <h4>
            {cell.cell} cell: {cell.changed ? 'different' : 'identical'}
          </h4>
          <CellGraph genotype={a.genotype} cell={cell.cell} label={a.label} other={b} />
          <table class="table compact">
            <thead>
              <tr>
                <th>Node</th>
                <th>Both</th>
                <th>Only {a.label}</th>
                <th>Only {b.label}</th>
              </tr>
            </thead>
            <tbody>
              {cell.nodes.map((n) => (
                <tr key={n.node} class={n.onlyA.length || n.onlyB.length ? 'changed' : ''}>
                  <td>{n.node}</td>
                  <td>{n.same.map(pair).join(', ') || '–'}</td>
                  <td class="minus">{n.onlyA.map(pair).join(', ') || '–'}</td>
                  <td class="plus">{n.onlyB.map(pair).join(', ') || '–'}</td>
                </tr>
              ))}
              {cell.concatA.join() !== cell.concatB.join() && (
                <tr class="changed">
                  <td>output</td>
                  <td />
                  <td class="minus">{cell.concatA.join(', ')}</td>
                  <td class="plus">{cell.concatB.join(', ')}</td>
                </tr>
              )}
            </tbody>
          </table>
        </section>
      ))}
    </div>
  );
}

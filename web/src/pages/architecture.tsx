/** An architecture: both cells, size, every evaluation with its provenance, and a diff with another. */
import { useState } from 'preact/hooks';
import { count, metric, percent, time } from '../lib/format.js';
import { attackSettingsText } from '../lib/attack-settings.js';
import { CELL_NAMES, readGenotype } from '../lib/genotype.js';
import { ARCHITECTURE } from '../lib/queries.js';
import { paths } from '../lib/route.js';
import { CellGraph } from '../ui/cell-graph.js';
import { ErrorBox, Link, Loading } from '../ui/common.js';
import { GenotypeDiffView } from '../ui/genotype-diff.js';
import { useQuery } from '../ui/hooks.js';

interface ArchitectureData {
  architecture: {
    hash: string;
    genotype: unknown;
    params: number;
    flops: number | null;
    channels: number;
    layers: number;
    classes: number;
    createdAt: string | null;
    originRun: { id: string; kind: string; experiment: { id: string; name: string } } | null;
  } | null;
  evaluations: {
    id: string;
    dataset: string;
    attack: string;
    attackSettings: Record<string, number>;
    examples: number;
    seed: number;
    cleanAccuracy: number;
    robustAccuracy: number;
    backend: string;
    engineVersion: string;
    createdAt: string;
    threatModel: { label: string };
    run: { id: string; kind: string; experiment: { id: string; name: string } };
  }[];
}

export function ArchitecturePage({ hash }: { hash: string }) {
  const query = useQuery<ArchitectureData>(ARCHITECTURE, { hash });
  const [other, setOther] = useState('');
  if (query.error) return <ErrorBox error={query.error} what="Cannot load the architecture" />;
  if (!query.data) return <Loading />;
  const a = query.data.architecture;
  if (!a) return <ErrorBox error={`no architecture ${hash} is known (or you may not see it)`} />;
  const { genotype, error } = readGenotype(a.genotype);
  return (
    <div class="page" data-page="architecture" data-hash={a.hash}>
      <h2>
        Architecture <code>{a.hash.slice(0, 16)}</code>
      </h2>
      <dl class="facts">
        <dt>Parameters</dt>
        <dd id="arch-params">{metric(a.params)}</dd>
        <dt>FLOPs</dt>
        <dd>
          {metric(a.flops)} {a.flops !== null && <span class="muted">({count(a.flops)})</span>}
        </dd>
        <dt>Network</dt>
        <dd>
          C={a.channels}, L={a.layers}, {a.classes} classes
        </dd>
        <dt>First seen</dt>
        <dd>
          {time(a.createdAt)}
          {a.originRun && (
            <>
              {' '}
              in <Link href={paths.run(a.originRun.id)}>{a.originRun.id}</Link> ({a.originRun.experiment.name})
            </>
          )}
        </dd>
      </dl>
      {error && <ErrorBox error={`the stored genotype is not valid: ${error}`} />}
      {genotype && (
        <div class="graphs">
          {CELL_NAMES.map((c) => (
            <CellGraph key={c} genotype={genotype} cell={c} />
          ))}
        </div>
      )}
      <details>
        <summary>Genotype JSON</summary>
        <pre class="config">{JSON.stringify(a.genotype, null, 2)}</pre>
      </details>

      <h3>Evaluations ({query.data.evaluations.length})</h3>
      {query.data.evaluations.length === 0 ? (
        <p class="empty">Not evaluated yet.</p>
      ) : (
        <table class="table" id="arch-evaluations">
          <thead>
            <tr>
              <th>Data set</th>
              <th>Threat model</th>
              <th>Attack</th>
              <th>Settings</th>
              <th>Examples</th>
              <th>Seed</th>
              <th>Clean</th>
              <th>Robust</th>
              <th>Run</th>
              <th>Backend / engine</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {query.data.evaluations.map((e) => (
              <tr key={e.id}>
                <td>{e.dataset}</td>
                <td>{e.threatModel.label}</td>
                <td>{e.attack}</td>
                <td data-field="settings">{attackSettingsText(e.attackSettings)}</td>
                <td>{e.examples}</td>
                <td>{e.seed}</td>
                <td>{percent(e.cleanAccuracy)}</td>
                <td>{percent(e.robustAccuracy)}</td>
                <td>
                  <Link href={paths.run(e.run.id)}>{e.run.id}</Link> <span class="muted">{e.run.experiment.name}</span>
                </td>
                <td>
                  {e.backend} / {e.engineVersion}
                </td>
                <td>{time(e.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Compare with another architecture</h3>
      <input placeholder="architecture hash" value={other} onInput={(e) => setOther(e.currentTarget.value.trim())} />
      {genotype && other && <GenotypeDiffView a={{ label: a.hash.slice(0, 12), genotype }} otherHash={other} />}
    </div>
  );
}

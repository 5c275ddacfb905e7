/** The top of a run page: status and stage, times, result, network size, where it ran, links. */
import { count, duration, percent, time } from '../lib/format.js';
import { paths } from '../lib/route.js';
import { headlineResult, runDuration, stageText, type SummaryInput } from '../lib/run-summary.js';
import { provenance, type RunOrigin } from '../lib/provenance.js';
import { Link, StatusBadge } from './common.js';

export interface SummaryRun extends SummaryInput, RunOrigin {
  id: string;
  experiment: SummaryInput['experiment'] & {
    dataset: string;
    threatModel: { norm: string; epsilon: number; label: string };
  };
  architecture: { hash: string; params: number; flops: number | null } | null;
}

export function RunSummary({ run, now }: { run: SummaryRun; now: number }) {
  const result = headlineResult(run);
  const { dataset, threatModel } = run.experiment;
  const exact = (n: number | null) => (n === null ? '–' : n.toLocaleString('en-US'));
  return (
    <section class="summary" id="run-summary">
      <div class="card">
        <h4>Status</h4>
        <p>
          <StatusBadge status={run.status} />
        </p>
        <p data-field="stage">{stageText(run)}</p>
      </div>
      <div class="card">
        <h4>Time</h4>
        <dl>
          <dt>Started</dt>
          <dd data-field="started">{time(run.startedAt)}</dd>
          <dt>Finished</dt>
          <dd data-field="finished">{time(run.finishedAt)}</dd>
          <dt>Duration</dt>
          <dd data-field="duration">{duration(runDuration(run, now))}</dd>
        </dl>
      </div>
      <div class="card">
        <h4>Result at {threatModel.label}</h4>
        {result ? (
          <dl>
            <dt>Clean accuracy</dt>
            <dd class="big" data-field="clean" data-value={result.clean}>
              {percent(result.clean)}
            </dd>
            <dt>Robust accuracy</dt>
            <dd class="big" data-field="robust" data-value={result.robust}>
              {percent(result.robust)}
            </dd>
            <dd class="muted">
              worst of {result.attacks} attack{result.attacks === 1 ? '' : 's'}: {result.worstAttack}
            </dd>
          </dl>
        ) : (
          <p class="muted">not evaluated yet</p>
        )}
      </div>
      <div class="card">
        <h4>Network</h4>
        <dl>
          <dt>Parameters</dt>
          <dd data-field="params" data-value={run.architecture?.params}>
            {exact(run.architecture?.params ?? null)}
          </dd>
          <dt>FLOPs</dt>
          <dd data-field="flops" data-value={run.architecture?.flops ?? undefined}>
            {exact(run.architecture?.flops ?? null)}{' '}
            {run.architecture?.flops ? <span class="muted">({count(run.architecture.flops)})</span> : null}
          </dd>
        </dl>
      </div>
      <div class="card">
        <h4>Ran on</h4>
        <dl>
          <dt>Backend</dt>
          <dd data-field="backend">{run.backend ?? '–'}</dd>
          <dt>{run.source === 'WORKER' ? 'Worker' : 'Logged by'}</dt>
          <dd data-field="worker">{run.source === 'WORKER' ? (run.workerId ?? '–') : provenance(run)}</dd>
        </dl>
      </div>
      <div class="card">
        <h4>See also</h4>
        <ul class="plain">
          {run.architecture && (
            <li>
              <Link href={paths.architecture(run.architecture.hash)} class="arch-link">
                Architecture {run.architecture.hash.slice(0, 12)}
              </Link>
            </li>
          )}
          <li>
            <Link
              href={paths.leaderboard({ dataset, norm: threatModel.norm, epsilon: String(threatModel.epsilon) })}
              class="board-link"
            >
              Leaderboard: {dataset}, {threatModel.label}
            </Link>
          </li>
        </ul>
      </div>
    </section>
  );
}

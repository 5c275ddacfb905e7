/** A run's logs and, for searches, its architecture weights stepped epoch by epoch and its contributions. */
import { useState } from 'preact/hooks';
import { addSnapshot, edgeRows, isCellMatrices, OP_LABELS, softmaxRows, type Snapshot } from '../lib/alphas.js';
import { time } from '../lib/format.js';
import { ACTIVITY } from '../lib/queries.js';
import { StateNameText } from './cell-graph.js';
import { HeatMap } from './heat-map.js';
import { ErrorBox } from './common.js';
import { useSubscription } from './hooks.js';

interface Activity {
  type: string;
  attempt: number;
  seq: number;
  time: string;
  level: string | null;
  message: string | null;
  epoch: number | null;
  alphas: unknown;
  contributions: unknown;
}

const MAX_LOG_LINES = 500;

/** `ended`: the run is over, so an empty log is final rather than "yet". */
export function RunActivity({ runId, ended }: { runId: string; ended: boolean }) {
  const [logs, setLogs] = useState<Activity[]>([]);
  const [snapshots, setSnapshots] = useState<Snapshot[]>([]);
  const [chosen, setChosen] = useState<number | null>(null);
  const error = useSubscription<{ runActivity: Activity }>(ACTIVITY, { runId }, ({ runActivity: a }) => {
    if (a.type === 'log') {
      // A replay after a reconnection sends the lines again: keep one per (attempt, seq).
      setLogs((l) => (l.some((x) => x.attempt === a.attempt && x.seq === a.seq) ? l : [...l, a].slice(-MAX_LOG_LINES)));
    } else if (a.type === 'snapshot' && a.epoch !== null && isCellMatrices(a.alphas)) {
      const contributions = isCellMatrices(a.contributions) ? a.contributions : null;
      setSnapshots((s) =>
        addSnapshot(s, { epoch: a.epoch!, attempt: a.attempt, alphas: a.alphas as Snapshot['alphas'], contributions }),
      );
    }
  });
  const index = chosen === null ? snapshots.length - 1 : Math.min(chosen, snapshots.length - 1);
  const shown = snapshots[index];
  const latestContributions = [...snapshots].reverse().find((s) => s.contributions)?.contributions;
  const rows = edgeRows().map((r) => ({
    text: r.text,
    header: (
      <>
        <StateNameText name={r.from} /> → <StateNameText name={r.to} />
      </>
    ),
  }));
  return (
    <section id="activity">
      <ErrorBox error={error} what="Logs and snapshots" />
      {shown && (
        <>
          <h3>Architecture weights</h3>
          <div class="row" id="alpha-stepper">
            <button class="small" disabled={index <= 0} onClick={() => setChosen(index - 1)}>
              ◀
            </button>
            <input
              type="range"
              min={0}
              max={snapshots.length - 1}
              value={index}
              aria-label="epoch"
              onInput={(e) => setChosen(Number(e.currentTarget.value))}
            />
            <button class="small" disabled={index >= snapshots.length - 1} onClick={() => setChosen(index + 1)}>
              ▶
            </button>
            <span data-epoch={shown.epoch}>
              epoch {shown.epoch} ({index + 1} of {snapshots.length})
            </span>
            {chosen !== null && (
              <button class="small" onClick={() => setChosen(null)}>
                follow latest
              </button>
            )}
          </div>
          <div class="cells">
            <HeatMap
              title={`normal cell · softmax(α), epoch ${shown.epoch}`}
              rows={rows}
              cols={OP_LABELS}
              values={softmaxRows(shown.alphas.normal)}
            />
            <HeatMap
              title={`reduce cell · softmax(α), epoch ${shown.epoch}`}
              rows={rows}
              cols={OP_LABELS}
              values={softmaxRows(shown.alphas.reduce)}
            />
          </div>
        </>
      )}
      {latestContributions && (
        <>
          <h3>Latest contributions</h3>
          <div class="cells">
            <HeatMap
              title="normal cell · contribution"
              rows={rows}
              cols={OP_LABELS}
              values={latestContributions.normal}
            />
            <HeatMap
              title="reduce cell · contribution"
              rows={rows}
              cols={OP_LABELS}
              values={latestContributions.reduce}
            />
          </div>
        </>
      )}
      <h3>Logs</h3>
      {logs.length === 0 ? (
        <p class="empty">{ended ? 'This run sent no log lines.' : 'No log lines yet.'}</p>
      ) : (
        <div class="logs" id="logs">
          {logs.map((l) => (
            <div key={`${l.attempt}-${l.seq}`} class={l.level ?? ''}>
              {time(l.time)} [{l.level}] {l.message}
            </div>
          ))}
        </div>
      )}
    </section>
  );
}

/** The stage timeline of a run: the stages its kind goes through, each done, current or to come. */
import { isTerminalRunStatus, stagesOfRunKind } from '@lrnas/schema';

export interface StageSpan {
  stage: string;
  startedAt: string;
  endedAt: string | null;
}

export interface TimelineStep {
  stage: string;
  state: 'done' | 'current' | 'pending' | 'stopped';
  startedAt: string | null;
  endedAt: string | null;
}

/**
 * Every stage of the run's kind in order (and any other stage it reported), with its state: a
 * stage that ended is done; the open one is current while the run is RUNNING, and stopped when
 * the run ended without finishing it (failed or cancelled).
 */
export function timeline(kind: string, status: string, spans: readonly StageSpan[]): TimelineStep[] {
  const names: string[] = [...stagesOfRunKind(kind)];
  for (const s of spans) if (!names.includes(s.stage)) names.push(s.stage);
  const final = isTerminalRunStatus(status);
  return names.map((stage) => {
    const span = spans.findLast((s) => s.stage === stage);
    if (!span) return { stage, state: 'pending', startedAt: null, endedAt: null };
    let state: TimelineStep['state'];
    if (span.endedAt) state = status === 'SUCCEEDED' || !isLastStarted(spans, span) ? 'done' : 'stopped';
    else state = final ? (status === 'SUCCEEDED' ? 'done' : 'stopped') : 'current';
    return { stage, state, startedAt: span.startedAt, endedAt: span.endedAt };
  });
}

function isLastStarted(spans: readonly StageSpan[], span: StageSpan): boolean {
  return spans.at(-1) === span;
}

/** The stage timeline of a run: the stages its kind goes through, each done, current or to come. */

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

const STAGES_OF: Record<string, string[]> = {
  PIPELINE: ['search', 'select', 'train', 'evaluate'],
  SEARCH: ['search', 'select'],
  TRAIN: ['train'],
  EVALUATE: ['evaluate'],
};

/**
 * Every stage of the run's kind in order (and any other stage it reported), with its state: a
 * stage that ended is done; the open one is current while the run is RUNNING, and stopped when
 * the run ended without finishing it (failed or cancelled).
 */
export function timeline(kind: string, status: string, spans: readonly StageSpan[]): TimelineStep[] {
  const names = [...(STAGES_OF[kind] ?? [])];
  for (const s of spans) if (!names.includes(s.stage)) names.push(s.stage);
  const final = status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED';
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

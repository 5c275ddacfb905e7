import type { ProgressEvent } from '@lrnas/schema';
import type { JobEvent } from '@lrnas/engine';

/** One count of a stage's work, as the engine reports it (many per second at small shapes). */
export type ProgressSample = Pick<ProgressEvent, 'stage' | 'phase' | 'done' | 'total'>;
type ProgressBody = Omit<ProgressEvent, 'v' | 'runId' | 'attempt' | 'seq' | 'time'>;

/** How often progress goes out at most, unless a phase begins. */
export const PROGRESS_INTERVAL_MS = 2000;

/** The count an engine event carries, if any: steps over a stage, masks of an estimate, attacked examples. */
export function progressOf(event: JobEvent): ProgressSample | undefined {
  if (event.type === 'search') {
    const e = event.event;
    if (e.type === 'step') return { stage: 'search', phase: 'search', done: e.step, total: e.totalSteps };
    if (e.type === 'estimate-progress') return { stage: 'search', phase: 'estimate', done: e.done, total: e.total };
  } else if (event.type === 'train' && event.event.type === 'step') {
    return { stage: 'train', phase: 'train', done: event.event.step, total: event.event.totalSteps };
  } else if (event.type === 'evaluate-progress') {
    return { stage: 'evaluate', phase: 'attack', done: event.done, total: event.total };
  }
  return undefined;
}

/**
 * Coalesces a stage's counts into progress events: the first of a phase goes out at once, then at
 * most one every `intervalMs` with the latest count (a timer sends the last one of a burst), each
 * with the rate since the phase began and the time left at that rate. `close()` sends what is
 * pending and stops the timer.
 */
export class ProgressReporter {
  #phase: string | undefined;
  #began = { at: 0, done: 0 };
  #sentAt = -Infinity;
  #pending: ProgressSample | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly emit: (body: ProgressBody) => void,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  report(sample: ProgressSample): void {
    if (sample.total < 1) return;
    const at = this.now();
    const phase = `${sample.stage}/${sample.phase}`;
    if (phase !== this.#phase || sample.done < this.#began.done) {
      // The phase that ends goes out with its last count first.
      if (this.#pending) this.#send(this.#pending, at);
      this.#phase = phase;
      this.#began = { at, done: sample.done };
      this.#send(sample, at);
    } else if (at - this.#sentAt >= this.intervalMs) {
      this.#send(sample, at);
    } else {
      this.#pending = sample;
      this.#timer ??= setTimeout(
        () => {
          this.#timer = undefined;
          if (this.#pending) this.#send(this.#pending, this.now());
        },
        this.intervalMs - (at - this.#sentAt),
      );
    }
  }

  /** Sends the count not sent yet, then stops. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending) this.#send(this.#pending, this.now());
  }

  #send(sample: ProgressSample, at: number): void {
    this.#pending = undefined;
    this.#sentAt = at;
    const seconds = (at - this.#began.at) / 1000;
    const counted = sample.done - this.#began.done;
    const rate = seconds > 0 && counted > 0 ? counted / seconds : undefined;
    this.emit({
      type: 'progress',
      ...sample,
      done: Math.min(sample.done, sample.total),
      ...(rate !== undefined && { rate, etaSeconds: Math.max(0, sample.total - sample.done) / rate }),
    });
  }
}

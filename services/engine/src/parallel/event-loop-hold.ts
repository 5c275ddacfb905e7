import fs from 'node:fs';

/** The longest stall of a thread's event loop over a period, in milliseconds. */
export interface EventLoopHold {
  /**
   * The most time the thread computed between two turns of its event loop: CPU time where the
   * system reports it per thread (Linux), so that time the OS gave to other processes is not
   * counted; elsewhere the wall-clock delay, as `gapMs`.
   */
  heldMs: number;
  /** The longest wall-clock delay of a turn past its due time: what a caller waited, load included. */
  gapMs: number;
}

/** The calling thread's time on a CPU in nanoseconds, or undefined where /proc does not tell it. */
function threadCpuNs(): number | undefined {
  try {
    // "time on CPU (ns), time waiting to run (ns), timeslices"
    const onCpu = Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
    return Number.isFinite(onCpu) ? onCpu : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Watches how long the calling thread's event loop is held, with a timer every `tickMs`. A thread
 * that must answer at once (a worker's NATS thread, the CLI's) is held by its own code only for as
 * long as it computes; on a busy machine it also waits for a CPU, which the wall-clock delay (the
 * event-loop lag) counts and `heldMs` does not, so a check of the code does not depend on the load.
 */
export class EventLoopHoldMonitor {
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;
  #lastWall = 0;
  #lastCpu: number | undefined;
  #max: EventLoopHold = { heldMs: 0, gapMs: 0 };

  constructor(tickMs = 20) {
    this.#tickMs = tickMs;
  }

  /** Starts watching; the timer does not keep the process alive. */
  start(): this {
    this.stop();
    this.#lastWall = performance.now();
    this.#lastCpu = threadCpuNs();
    this.#timer = setInterval(() => this.#tick(), this.#tickMs).unref();
    return this;
  }

  stop(): void {
    if (this.#timer) this.#tick();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The longest hold and delay since the last call (or the start); counting starts afresh. */
  takeMax(): EventLoopHold {
    if (this.#timer) this.#tick();
    const max = this.#max;
    this.#max = { heldMs: 0, gapMs: 0 };
    return max;
  }

  #tick(): void {
    const wall = performance.now();
    const cpu = threadCpuNs();
    const gapMs = Math.max(0, wall - this.#lastWall - this.#tickMs);
    const heldMs = cpu !== undefined && this.#lastCpu !== undefined ? (cpu - this.#lastCpu) / 1e6 : gapMs;
    this.#max = { heldMs: Math.max(this.#max.heldMs, heldMs), gapMs: Math.max(this.#max.gapMs, gapMs) };
    this.#lastWall = wall;
    this.#lastCpu = cpu;
  }
}

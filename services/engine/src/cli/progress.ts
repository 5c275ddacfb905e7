/** Where a progress bar writes: stderr by default, so that stdout stays parseable. */
export interface ProgressStream {
  write(text: string): unknown;
  /** A terminal gets one redrawn line; anything else gets a plain line every few seconds. */
  isTTY?: boolean;
  columns?: number;
}

/** Settings of a progress bar. */
export interface ProgressBarOptions {
  /** Shown before the bar, e.g. `epoch 3/10`. */
  label: string;
  total: number;
  /** Name of the counted units in the rate, e.g. `img` (default `it`). */
  unit?: string;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Without a terminal, at most one line per this many milliseconds (default 5000). */
  intervalMs?: number;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
}

const BAR_WIDTH = 24;
/** Redraws on a terminal at most this often. */
const TTY_INTERVAL_MS = 100;

/**
 * A dependency-free progress bar. On a terminal it redraws one line (label, bar, percentage, count,
 * rate, ETA, note); otherwise it prints a plain line at most every `intervalMs`, so logs stay short.
 */
export class ProgressBar {
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  readonly #now: () => number;
  readonly #interval: number;
  readonly #unit: string;
  readonly #start: number;
  /** Where the rate is counted from: construction, or the last countFrom. */
  #rateStart: number;
  #rateBase = 0;
  #label: string;
  #total: number;
  #done = 0;
  #note = '';
  #lastDraw = Number.NEGATIVE_INFINITY;
  #drawn = false;
  #finished = false;

  constructor(options: ProgressBarOptions) {
    this.#stream = options.stream ?? process.stderr;
    this.#tty = Boolean(this.#stream.isTTY);
    this.#now = options.now ?? (() => performance.now());
    this.#interval = this.#tty ? TTY_INTERVAL_MS : (options.intervalMs ?? 5000);
    this.#unit = options.unit ?? 'it';
    this.#label = options.label;
    this.#total = Math.max(0, options.total);
    this.#start = this.#now();
    this.#rateStart = this.#start;
    // A log gets its first line after one interval (short phases then print only their final line).
    if (!this.#tty) this.#lastDraw = this.#start;
  }

  /** Sets the count done (and optionally a note shown after the figures, e.g. `loss 0.53`). */
  update(done: number, note?: string): void {
    if (this.#finished) return;
    this.#done = Math.max(0, Math.min(done, this.#total));
    if (note !== undefined) this.#note = note;
    const now = this.#now();
    if (now - this.#lastDraw >= this.#interval) this.#draw(now);
  }

  /**
   * Sets the count done and counts the rate (and so the ETA) from here: the units done so far took none of
   * this bar's time (a resumed run's, read back) or are not what the time went on (a phase before the counted one).
   */
  countFrom(done: number): void {
    this.#rateStart = this.#now();
    this.#rateBase = Math.max(0, Math.min(done, this.#total));
    this.update(done);
  }

  /** Counts `n` more units done. */
  tick(n = 1, note?: string): void {
    this.update(this.#done + n, note);
  }

  /** Draws the final state and ends the line; later updates are ignored. */
  finish(note?: string): void {
    if (this.#finished) return;
    if (note !== undefined) this.#note = note;
    this.#draw(this.#now());
    if (this.#tty) this.#stream.write('\n');
    this.#finished = true;
  }

  /** The current line's text, without terminal control characters. */
  render(now = this.#now()): string {
    const fraction = this.#total > 0 ? this.#done / this.#total : 1;
    const seconds = Math.max(0, (now - this.#start) / 1000);
    const counted = Math.max(0, (now - this.#rateStart) / 1000);
    const rate = counted > 0 ? (this.#done - this.#rateBase) / counted : 0;
    const left = rate > 0 ? (this.#total - this.#done) / rate : Number.NaN;
    const filled = Math.round(fraction * BAR_WIDTH);
    const parts = [
      this.#label,
      `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`,
      `${(fraction * 100).toFixed(1).padStart(5)}%`,
      `${this.#done}/${this.#total}`,
      formatPace(rate, this.#unit),
      this.#done >= this.#total ? `${formatDuration(seconds)} elapsed` : `ETA ${formatDuration(left)}`,
    ];
    if (this.#note) parts.push(this.#note);
    return parts.join(' ');
  }

  #draw(now: number): void {
    this.#lastDraw = now;
    const line = this.render(now);
    if (this.#tty) {
      const width = this.#stream.columns ?? 0;
      const fitted = width > 1 && line.length >= width ? line.slice(0, width - 1) : line;
      // Return to the line start and clear to its end, so a shorter line leaves no residue.
      this.#stream.write(`\r${fitted}\x1b[K`);
    } else {
      this.#stream.write(`${line}\n`);
    }
    this.#drawn = true;
  }

  /** Whether anything was written yet. */
  get drawn(): boolean {
    return this.#drawn;
  }
}

/** `12.3`, `1.2k`: a compact rate. */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return '?';
  if (rate >= 1000) return `${(rate / 1000).toFixed(1)}k`;
  if (rate >= 100) return rate.toFixed(0);
  return rate.toFixed(rate >= 10 ? 1 : 2);
}

/**
 * `12.3 img/s`; below one unit every ten seconds the time per unit, `2:14/row`, which says more than `0.01 row/s`;
 * `? row/s` before the first unit.
 */
export function formatPace(rate: number, unit: string): string {
  if (rate > 0 && rate < 0.1) return `${formatDuration(1 / rate)}/${unit}`;
  return `${formatRate(rate > 0 ? rate : Number.NaN)} ${unit}/s`;
}

/** `0:42`, `12:05`, `3:02:11`; `?` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { backoffMs, callHub, HubError, type HubTarget } from './hub-call.js';
import { LoggedRun, type SendOptions } from './logged-run.js';
import { CREATE_RUN } from './operations.js';
import { Spool } from './spool.js';
import { CLIENT_VERSION } from './version.js';

/** How to reach a hub; unset fields come from the environment. */
export interface HubOptions {
  /** The hub's URL; default LRNAS_HUB_URL. */
  url?: string;
  /** A team's API key; default LRNAS_API_KEY. */
  apiKey?: string;
  /** Where unsent entries wait; default LRNAS_SPOOL_DIR, else ~/.lrnas/spool. */
  spoolDir?: string;
  /** How long points wait to be batched, in ms (default 1,000). */
  batchMs?: number;
  /** A sign of life goes to the hub when nothing else has for this long, in ms (default 30,000). */
  heartbeatMs?: number;
  /** Told of each failed try and of what the hub refused for good; default: a line on stderr. */
  onError?: (error: HubError, what: string) => void;
}

/** A run to create on the hub. */
export interface NewRun {
  experimentId: string;
  /** Your id for the run (letters, digits, _ and -): creating it again resumes it. Random when unset. */
  runId?: string;
  name?: string;
  kind?: 'SEARCH' | 'TRAIN' | 'EVALUATE' | 'PIPELINE';
  config?: Record<string, unknown>;
  tags?: string[];
  seed?: number;
  /** CLIENT (a program), or CLI for the lrnas command. */
  source?: 'CLIENT' | 'CLI';
  /** Client and version to record as provenance; default this package's. */
  client?: string;
}

/** A hub that this program logs runs to. */
export class Hub {
  readonly target: HubTarget;
  readonly spoolDir: string;
  readonly #send: SendOptions;

  constructor(options: HubOptions = {}) {
    const url = options.url ?? process.env.LRNAS_HUB_URL;
    const apiKey = options.apiKey ?? process.env.LRNAS_API_KEY;
    if (!url) throw new TypeError('give the hub’s URL: new Hub({ url }) or LRNAS_HUB_URL');
    if (!URL.canParse(url)) throw new TypeError(`the hub’s URL ${JSON.stringify(url)} is not a URL`);
    if (!apiKey) throw new TypeError('give an API key: new Hub({ apiKey }) or LRNAS_API_KEY');
    this.target = { url, apiKey };
    this.spoolDir = options.spoolDir ?? process.env.LRNAS_SPOOL_DIR ?? path.join(os.homedir(), '.lrnas', 'spool');
    this.#send = {
      batchMs: options.batchMs ?? 1000,
      heartbeatMs: options.heartbeatMs ?? 30_000,
      onError:
        options.onError ??
        ((error, what) =>
          process.stderr.write(`@lrnas/client: ${what}: ${error.message}${error.retry ? ' (retrying)' : ''}\n`)),
    };
  }

  /**
   * Creates a run (RUNNING at once) and returns it for logging; waits through a hub outage, and
   * throws a HubError for input the hub refuses (its `field` names what is wrong). Creating a run
   * again with the same `runId` resumes it, sending first what its spool still holds.
   */
  async createRun(run: NewRun): Promise<LoggedRun> {
    const runId = run.runId ?? `run-${randomBytes(9).toString('base64url')}`;
    const input = {
      ...run,
      runId,
      source: run.source ?? 'CLIENT',
      client: run.client ?? `@lrnas/client ${CLIENT_VERSION}`,
    };
    const { createRun } = await this.#untilAnswered(() =>
      callHub<{ createRun: { id: string } }>(this.target, CREATE_RUN, { input }),
    );
    const spool = Spool.open(this.spoolDir, {
      hubUrl: this.target.url,
      experimentId: run.experimentId,
      runId,
      id: createRun.id,
    });
    return new LoggedRun(this.target, spool, this.#send);
  }

  /** Sends what the spools of this hub's runs still hold (left by a crash or an outage). */
  async sync(): Promise<{ runs: number; entries: number }> {
    let runs = 0;
    let entries = 0;
    for (const spool of Spool.pending(this.spoolDir)) {
      if (spool.header.hubUrl !== this.target.url) {
        spool.close();
        continue;
      }
      const run = new LoggedRun(this.target, spool, this.#send);
      runs += 1;
      entries += run.pending;
      await run.flush();
      // A finished run's spool went with its last entry; an unfinished one stays for its program.
      if (!run.finished) run.stop();
    }
    return { runs, entries };
  }

  async #untilAnswered<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof HubError) || !error.retry) throw error;
        this.#send.onError(error, 'createRun');
        await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
      }
    }
  }
}

import fs from 'node:fs';
import path from 'node:path';
import type { ArtifactFile } from './hub-call.js';

/** One thing to tell the hub about a run, in the order the program did it. */
export type SpoolEntry =
  | { t: 'points'; points: MetricPoint[] }
  | { t: 'architecture'; input: Record<string, unknown> }
  | { t: 'evaluation'; input: Record<string, unknown> }
  | { t: 'artifact'; file: ArtifactFile }
  | { t: 'stage'; stage: string }
  | { t: 'finish'; status: FinalStatus; error?: string };

export interface MetricPoint {
  key: string;
  step: number;
  /** null: a value that was not finite (diverged). */
  value: number | null;
  /** ISO time it was measured. */
  time: string;
}

export type FinalStatus = 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** What a spool knows of its run, written when the hub created it. */
export interface SpoolHeader {
  hubUrl: string;
  experimentId: string;
  /** The id the program chose (the hub's createRun runId). */
  runId: string;
  /** The hub's id of the run. */
  id: string;
}

/**
 * A run's log on local disk: every entry is appended (one JSON line, written before log() returns)
 * before it is sent, and the count of entries the hub has acknowledged is kept beside it; a
 * program that crashes, or a hub that is down, loses nothing: the next start (or `lrnas sync`)
 * sends what is left. Sending an entry twice is harmless: the hub's logging is idempotent.
 */
export class Spool {
  readonly #fd: number;

  private constructor(
    readonly dir: string,
    readonly header: SpoolHeader,
  ) {
    this.#fd = fs.openSync(path.join(dir, 'entries.jsonl'), 'a');
  }

  /** The spool of a run, made (with its header) or reopened. */
  static open(root: string, header: SpoolHeader): Spool {
    const dir = path.join(root, safeName(`${header.experimentId}-${header.runId}`));
    fs.mkdirSync(dir, { recursive: true });
    writeAtomically(path.join(dir, 'run.json'), JSON.stringify(header));
    return new Spool(dir, header);
  }

  /** Every spool under `root` that still holds entries the hub has not acknowledged. */
  static pending(root: string): Spool[] {
    if (!fs.existsSync(root)) return [];
    const pending: Spool[] = [];
    for (const name of fs.readdirSync(root)) {
      const dir = path.join(root, name);
      if (!fs.existsSync(path.join(dir, 'run.json'))) continue;
      const header = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as SpoolHeader;
      const spool = new Spool(dir, header);
      if (spool.unsent().length > 0) pending.push(spool);
      else spool.close();
    }
    return pending;
  }

  /** Appends an entry, synchronously: it is on disk when this returns. */
  append(entry: SpoolEntry): void {
    fs.writeSync(this.#fd, `${JSON.stringify(entry)}\n`);
  }

  /** The entries not acknowledged yet, oldest first (a torn last line, from a crash mid-write, is skipped). */
  unsent(): SpoolEntry[] {
    const lines = fs.readFileSync(path.join(this.dir, 'entries.jsonl'), 'utf8').split('\n');
    const entries: SpoolEntry[] = [];
    for (const line of lines.slice(this.acknowledged())) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line) as SpoolEntry);
      } catch {
        break;
      }
    }
    return entries;
  }

  /** How many entries, from the first, the hub has acknowledged. */
  acknowledged(): number {
    try {
      return Number(fs.readFileSync(path.join(this.dir, 'acknowledged'), 'utf8')) || 0;
    } catch {
      return 0;
    }
  }

  /** Records that the hub has the first `count` entries. */
  acknowledge(count: number): void {
    writeAtomically(path.join(this.dir, 'acknowledged'), String(count));
  }

  /** Closes the file; a spool whose run ended and was all sent is removed. */
  close(remove = false): void {
    fs.closeSync(this.#fd);
    if (remove) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function writeAtomically(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

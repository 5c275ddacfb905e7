import fs from 'node:fs/promises';
import path from 'node:path';
import type { ObjectInfo, ObjectStore } from 'nats';
import { ErrorCode, LrnasError, type ArtifactEvent, type Stage } from '@lrnas/schema';
import { MODEL_JSON, JOB_FILES } from '@lrnas/engine';
import type { EventSink } from '@lrnas/engine';
import { within } from './deadline.js';
import { retrying } from './retry.js';

/** How long one read from the object store may take, besides a second per megabyte. */
const READ_MS = 30_000;

/** Object-store name of a file of a run's work folder: `<runId>/<path inside the folder>`. */
export function artifactName(runId: string, relative: string): string {
  return `${runId}/${relative.split(path.sep).join('/')}`;
}

/** The folder (object-name prefix) a run's exported model lives under. */
export function modelPrefix(runId: string): string {
  return artifactName(runId, `${JOB_FILES.model}/`);
}

type Kind = ArtifactEvent['kind'];

/** Which files the gateway is told about, as what, and for which stage; the rest are stored silently. */
function classify(relative: string): { kind: Kind; stage: Stage } | undefined {
  const name = relative.split(path.sep).join('/');
  if (name === JOB_FILES.searchCheckpoint) return { kind: 'checkpoint', stage: 'search' };
  if (name === JOB_FILES.trainCheckpoint) return { kind: 'checkpoint', stage: 'train' };
  if (name === `${JOB_FILES.model}/${MODEL_JSON}`) return { kind: 'weights', stage: 'train' };
  if (name === JOB_FILES.genotype) return { kind: 'genotype', stage: 'select' };
  if (name === JOB_FILES.evaluation || name === JOB_FILES.report) return { kind: 'report', stage: 'evaluate' };
  return undefined;
}

/**
 * Mirrors a run's work folder into the JetStream object store, so that a redelivered job resumes
 * on any worker. `sync` is called from the engine's synchronous callbacks, so it only queues a
 * scan; the scan uploads every file that changed since the last one (the engine writes files
 * atomically, so a file is read whole) and reports the ones the gateway lists as artifact events.
 * `flush` waits for the queued uploads and rethrows the first failure.
 */
export class RunArtifacts {
  readonly #seen = new Map<string, string>();
  #chain: Promise<void> = Promise.resolve();
  #error: unknown;

  constructor(
    private readonly store: ObjectStore,
    readonly runId: string,
    readonly dir: string,
    private readonly sink: EventSink,
    /** Pauses between the tries of one upload (default: `retrying`'s, about 16 s in all). */
    private readonly retryDelaysMs?: readonly number[],
  ) {}

  /**
   * Replaces the work folder with what the store holds for this run, so every delivery starts from
   * the newest uploaded state, whichever worker wrote it. Returns the files restored.
   */
  async restore(): Promise<string[]> {
    await fs.rm(this.dir, { recursive: true, force: true });
    const restored = await downloadPrefix(this.store, artifactName(this.runId, ''), this.dir);
    // Restored files count as uploaded: the first scan sends only what the run changes.
    for (const relative of restored) this.#seen.set(relative, await fingerprint(path.join(this.dir, relative)));
    return restored;
  }

  /** Queues an upload of whatever changed in the folder. */
  sync(): void {
    this.#chain = this.#chain.then(async () => {
      if (this.#error !== undefined) return;
      try {
        await this.#upload();
      } catch (error) {
        this.#error = error;
      }
    });
  }

  /** Resolves once every queued upload is stored. */
  async flush(): Promise<void> {
    await this.#chain;
    if (this.#error !== undefined) throw this.#error;
  }

  async #upload(): Promise<void> {
    // Files that vouch for others (the pipeline state names finished stages, a model.json its weights)
    // are read before the folder is listed and stored after the rest. The engine writes what they
    // vouch for before them, so that is in the listing and stored first: a worker killed mid-scan
    // never leaves a state in the store whose stage outputs are missing.
    const vouchers: (Snapshot | undefined)[] = [];
    for (const relative of VOUCHERS) vouchers.push(await this.#changed(relative, true));
    for (const relative of await listFiles(this.dir)) {
      if (VOUCHERS.includes(relative)) continue;
      const changed = await this.#changed(relative, false);
      if (changed) await this.#put(changed);
    }
    for (const snapshot of vouchers) if (snapshot) await this.#put(snapshot);
  }

  /** The file's content when it changed since it was last stored (read now when `readNow`, else at upload). */
  async #changed(relative: string, readNow: boolean): Promise<Snapshot | undefined> {
    const file = path.join(this.dir, relative);
    const print = await fingerprint(file).catch(() => undefined);
    if (print === undefined || this.#seen.get(relative) === print) return undefined;
    return { relative, print, data: readNow ? await fs.readFile(file) : undefined };
  }

  async #put({ relative, print, data }: Snapshot): Promise<void> {
    const bytes = data ?? (await fs.readFile(path.join(this.dir, relative)));
    const name = artifactName(this.runId, relative);
    const info = await retrying(() => this.store.put({ name }, chunksOf(bytes)), this.retryDelaysMs);
    this.#seen.set(relative, print);
    const about = classify(relative);
    if (about) this.sink.emit({ type: 'artifact', ...about, name: info.name, digest: info.digest, size: info.size });
  }
}

/** The object store's chunk size (nats.js's default). */
const CHUNK_BYTES = 128 * 1024;

/**
 * The bytes as a stream of chunks, one per turn of the event loop. nats.js hashes what it is given
 * (SHA-256 in JavaScript) before it yields: handed a whole checkpoint at once (putBlob), it held this
 * thread for 70 ms with a C=16 supernet checkpoint, more with a larger one; heartbeats, events
 * and cancels wait on this thread.
 */
function chunksOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    async pull(controller) {
      if (offset > 0) await new Promise((resolve) => setImmediate(resolve));
      controller.enqueue(bytes.subarray(offset, offset + CHUNK_BYTES));
      offset += CHUNK_BYTES;
      if (offset >= bytes.length) controller.close();
    },
  });
}

/** A changed file of the work folder, with its content when read ahead of the upload. */
interface Snapshot {
  relative: string;
  print: string;
  data: Buffer | undefined;
}

/** Files that vouch for others, in the order they are stored (a model before the state naming its stage). */
const VOUCHERS = [path.join(JOB_FILES.model, MODEL_JSON), JOB_FILES.state];

/** Downloads every object whose name starts with `prefix` into `dir`, keeping the rest of the name as its path. */
export async function downloadPrefix(store: ObjectStore, prefix: string, dir: string): Promise<string[]> {
  const listing = await retrying(() => within(store.list(), READ_MS, 'listing the artifact store'));
  const objects = listing.filter((o: ObjectInfo) => !o.deleted && o.name.startsWith(prefix));
  const written: string[] = [];
  for (const object of objects) {
    const relative = object.name.slice(prefix.length);
    const target = path.resolve(dir, relative);
    // Names come from the store; one that climbs out of the folder is refused, not written.
    if (relative === '' || !target.startsWith(path.resolve(dir) + path.sep)) {
      throw new LrnasError(ErrorCode.BAD_INPUT, `artifact ${JSON.stringify(object.name)} is not a file name`);
    }
    const ms = READ_MS + object.size / 1000; // and a second per megabyte
    const data = await retrying(() => within(store.getBlob(object.name), ms, `reading ${object.name}`));
    if (data === null) continue;
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, data);
    written.push(path.relative(dir, target));
  }
  return written;
}

/** Files under `dir` (relative paths), skipping dot-named ones and folders: the engine's temporary files. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((relative) => !relative.split(path.sep).some((part) => part.startsWith('.')));
}

/** Changes whenever the engine replaces a file (a new inode through its atomic rename) or rewrites it. */
async function fingerprint(file: string): Promise<string> {
  const stat = await fs.stat(file);
  return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}

// `--hub`: a CLI run logged to an LRNAS Hub as it goes, through @lrnas/client. The engine's job
// events become the same contract events a worker publishes (forwardEngineEvent), and those become
// the client's calls: the run shows on the hub's dashboard like a worker's, and its evaluation
// ranks on the leaderboard.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enumName, type AttackSpec, type RunEventBody, type ThreatModel } from '@lrnas/schema';
import { Hub, HubError, type LoggedRun } from '@lrnas/client';
import { forwardEngineEvent, type EventSink, type ForwardingContext } from '../jobs/contract-events.js';
import { JOB_FILES, jobFiles } from '../jobs/files.js';
import type { JobEvent, JobNetwork } from '../jobs/stages.js';
import { ENGINE_VERSION } from '../version.js';
import { UsageError, type CliIo, type FlagSpec } from './command.js';

/** The flags of a command that can log to a hub. */
export const HUB_FLAGS = {
  hub: {
    kind: 'string',
    value: 'URL',
    description: 'Log the run to this LRNAS Hub as it goes (default $LRNAS_HUB_URL; the key from $LRNAS_API_KEY)',
  },
  experiment: {
    kind: 'string',
    value: 'ID',
    description: 'The hub experiment the run belongs to (default $LRNAS_EXPERIMENT)',
  },
} satisfies Record<string, FlagSpec>;

/**
 * The hub run id of a command's output folder on this machine: running the command again on the
 * same folder (to resume it) logs to the same run.
 */
export function hubRunId(outDir: string): string {
  const digest = createHash('sha256')
    .update(`${os.hostname()}\u0000${path.resolve(outDir)}`)
    .digest('base64url');
  return `cli-${digest.slice(0, 20)}`;
}

/** What the hub is told about the run at its start. */
export interface HubRunInfo {
  kind: 'SEARCH' | 'TRAIN' | 'EVALUATE' | 'PIPELINE';
  /** The run's id on the hub: the same folder logs to the same run when it resumes. */
  runId: string;
  name: string;
  seed: number;
  config: Record<string, unknown>;
  network: JobNetwork;
  attacks: AttackSpec[];
  threatModel: ThreatModel;
  backend: string;
}

/**
 * The hub run of a command, when --hub (or LRNAS_HUB_URL) names a hub; undefined otherwise. A
 * missing key or experiment is a usage error naming it.
 */
export async function openHubReport(
  flags: { hub?: string | undefined; experiment?: string | undefined },
  io: CliIo,
  info: HubRunInfo,
): Promise<HubReport | undefined> {
  const url = flags.hub ?? process.env.LRNAS_HUB_URL;
  if (!url) return undefined;
  const experimentId = flags.experiment ?? process.env.LRNAS_EXPERIMENT;
  if (!experimentId) throw new UsageError('--hub needs --experiment ID (or LRNAS_EXPERIMENT): the run belongs to one');
  if (!process.env.LRNAS_API_KEY) throw new UsageError('--hub needs an API key of the hub in LRNAS_API_KEY');
  let hub: Hub;
  try {
    hub = new Hub({
      url,
      apiKey: process.env.LRNAS_API_KEY,
      onError: (error, what) => io.stderr(`lrnas: hub: ${what}: ${error.message}${error.retry ? ' (retrying)' : ''}\n`),
    });
  } catch (error) {
    throw new UsageError(`--hub: ${(error as Error).message}`);
  }
  try {
    const run = await hub.createRun({
      experimentId,
      runId: info.runId,
      name: info.name,
      kind: info.kind,
      seed: info.seed,
      config: info.config,
      source: 'CLI',
      client: `lrnas CLI ${ENGINE_VERSION}`,
    });
    io.stderr(`lrnas: logging to ${url} as run ${run.id}\n`);
    return new HubReport(run, info);
  } catch (error) {
    if (error instanceof HubError) throw new UsageError(`--hub: ${error.message}`);
    throw error;
  }
}

/** A command's run on a hub: its job events go in, the client sends them. */
export class HubReport {
  readonly #context: ForwardingContext;
  readonly #sink: EventSink;

  constructor(
    private readonly run: LoggedRun,
    info: HubRunInfo,
  ) {
    this.#context = {
      workerId: 'cli',
      backend: info.backend,
      seed: info.seed,
      network: info.network,
      attacks: info.attacks,
      threatModel: info.threatModel,
    };
    this.#sink = {
      emit: (body) => this.#send(body),
      metric: (points) => this.#points(points),
    };
  }

  /** One of the job's events. */
  on(event: JobEvent): void {
    forwardEngineEvent(event, this.#sink, this.#context);
  }

  /**
   * Ends the run on the hub once it has everything, after the files of the run's output folder (its
   * checkpoints, genotype, evaluation, report and exported model), if any, as artifacts; what the hub
   * cannot get yet stays in the client's spool.
   */
  async end(status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', outDir?: string, error?: string): Promise<void> {
    if (outDir) this.#uploadFolder(outDir);
    await this.run.finish(status, error);
  }

  /** The job files a command's output folder holds, queued as the run's artifacts. */
  #uploadFolder(outDir: string): void {
    const files = jobFiles(outDir);
    const uploads: [string, string, 'checkpoint' | 'genotype' | 'report' | 'weights'][] = [
      [files.searchCheckpoint, JOB_FILES.searchCheckpoint, 'checkpoint'],
      [files.trainCheckpoint, JOB_FILES.trainCheckpoint, 'checkpoint'],
      [files.genotype, JOB_FILES.genotype, 'genotype'],
      [files.evaluation, JOB_FILES.evaluation, 'report'],
      [files.report, JOB_FILES.report, 'report'],
    ];
    if (fs.existsSync(files.model)) {
      for (const file of fs.readdirSync(files.model)) {
        uploads.push([path.join(files.model, file), `${JOB_FILES.model}-${file}`, 'weights']);
      }
    }
    // `lrnas train` writes its model at the top of its folder.
    for (const file of ['model.json', 'weights.bin']) {
      uploads.push([path.join(outDir, file), `${JOB_FILES.model}-${file}`, 'weights']);
    }
    for (const [file, name, kind] of uploads) {
      if (fs.existsSync(file)) void this.run.uploadArtifact(file, { name, kind });
    }
  }

  /** Points of one step go in one log() call; a diverged (null) value is logged as such. */
  #points(points: { key: string; step: number; value: number | null }[]): void {
    const byStep = new Map<number, Record<string, number>>();
    for (const p of points) {
      const values = byStep.get(p.step) ?? {};
      values[p.key] = p.value ?? Number.NaN;
      byStep.set(p.step, values);
    }
    for (const [step, values] of byStep) this.run.log(values, step);
  }

  #send(body: RunEventBody): void {
    switch (body.type) {
      case 'epoch':
        this.run.log(
          Object.fromEntries(Object.entries(body.metrics).map(([key, value]) => [key, value ?? Number.NaN])),
          body.epoch,
        );
        break;
      case 'genotype':
        // The run's own architecture: the one it settled on (a search's per-epoch choices are not).
        if (body.final) {
          void this.run.logArchitecture({
            genotype: body.genotype,
            network: body.network,
            params: body.params,
            ...(body.flops !== undefined && { flops: body.flops }),
          });
        }
        break;
      case 'evaluation':
        void this.run.logEvaluation({
          attack: { ...body.attack, name: enumName(body.attack.name) },
          threatModel: { norm: enumName(body.threatModel.norm), epsilon: body.threatModel.epsilon },
          examples: body.examples,
          seed: body.seed,
          cleanAccuracy: body.cleanAccuracy,
          robustAccuracy: body.robustAccuracy,
          backend: body.backend,
          engineVersion: body.engineVersion,
        });
        break;
      case 'status':
        if (body.stage) this.run.stage(body.stage);
        break;
      default:
        // Progress, logs and snapshots are the worker's live view; the CLI shows its own.
        break;
    }
  }
}

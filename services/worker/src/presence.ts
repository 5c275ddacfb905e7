import os from 'node:os';
import type { WorkerPresence } from '@lrnas/schema';
import { ENGINE_VERSION, type BackendInfo } from '@lrnas/engine';

/** The presence record of this worker at `now`; pure apart from reading host facts. */
export function presenceRecord(input: {
  workerId: string;
  backend: BackendInfo;
  concurrency: number;
  currentJobs: string[];
  startedAt: Date;
  now: Date;
}): WorkerPresence {
  return {
    v: 1,
    workerId: input.workerId,
    host: os.hostname().slice(0, 200),
    pid: process.pid,
    backend: input.backend.name,
    device: input.backend.device,
    engineVersion: ENGINE_VERSION,
    versions: { node: process.versions.node, ...input.backend.versions },
    concurrency: input.concurrency,
    currentJobs: input.currentJobs,
    startedAt: input.startedAt.toISOString(),
    seenAt: input.now.toISOString(),
  };
}

import os from 'node:os';
import { LIMITS, type WorkerPresence } from '@lrnas/schema';
import { ENGINE_VERSION, type BackendInfo, type GpuAdapter } from '@lrnas/engine';

/** The adapter with each text cut to the contract's length (a driver's description is free text). */
function clip(adapter: GpuAdapter): GpuAdapter {
  const cut = (text: string) => text.slice(0, LIMITS.shortText);
  return {
    ...adapter,
    vendor: cut(adapter.vendor),
    architecture: cut(adapter.architecture),
    description: cut(adapter.description),
  };
}

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
    ...(input.backend.adapter && { adapter: clip(input.backend.adapter) }),
    engineVersion: ENGINE_VERSION,
    versions: { node: process.versions.node, ...input.backend.versions },
    concurrency: input.concurrency,
    currentJobs: input.currentJobs,
    startedAt: input.startedAt.toISOString(),
    seenAt: input.now.toISOString(),
  };
}

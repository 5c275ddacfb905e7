import { z } from 'zod';
import { makeCodec } from './codec.js';
import { isoTimeSchema, runIdSchema, shortText } from './common.js';

/** How often a worker rewrites its presence record. */
export const PRESENCE_INTERVAL_MS = 5_000;
/** A record older than this belongs to a worker that is gone (the bucket's TTL). */
export const PRESENCE_TTL_MS = 30_000;

/** What a worker announces about itself in the workers bucket, under its id. */
export const workerPresenceSchema = z.strictObject({
  v: z.literal(1),
  workerId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-"'),
  host: shortText,
  pid: z.number().int().positive(),
  backend: shortText,
  device: shortText,
  /** The WebGPU adapter, on the webgpu backend: what the GPU (or lavapipe) is, as Dawn names it. */
  adapter: z
    .strictObject({ vendor: shortText, architecture: shortText, description: shortText, software: z.boolean() })
    .optional(),
  engineVersion: shortText,
  versions: z.record(z.string().max(64), shortText).refine((r) => Object.keys(r).length <= 32, {
    message: 'at most 32 versions',
  }),
  concurrency: z.number().int().min(1).max(64),
  currentJobs: z.array(runIdSchema).max(64),
  startedAt: isoTimeSchema,
  seenAt: isoTimeSchema,
});
export type WorkerPresence = z.output<typeof workerPresenceSchema>;

export const workerPresenceCodec = makeCodec('worker presence', workerPresenceSchema);

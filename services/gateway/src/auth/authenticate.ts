import type { EntityManager } from '@mikro-orm/core';
import { ErrorCode, LrnasError } from '@lrnas/schema';
import { ApiKey } from '../persistence/entities/index.js';
import { KEY_PATTERN, hashApiKey, keyPrefix, sameHash } from './api-keys.js';

/** Who is calling: the team of the API key presented. Anonymous callers have none. */
export interface Viewer {
  teamId: string;
  keyId: string;
}

/** `lastUsedAt` is written at most this often per key, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The viewer an `Authorization: Bearer <key>` header names; undefined without the header. A
 * header that is present but malformed, unknown or revoked is refused (rather than treated as
 * anonymous) so a client with a broken key learns it at once.
 */
export async function authenticate(
  em: EntityManager,
  authorization: string | undefined,
  now = new Date(),
): Promise<Viewer | undefined> {
  if (authorization === undefined || authorization.trim() === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match || !KEY_PATTERN.test(match[1]!)) {
    throw new LrnasError(ErrorCode.UNAUTHENTICATED, 'the Authorization header must be "Bearer <API key>"');
  }
  const hash = hashApiKey(match[1]!);
  const key = await em.findOne(ApiKey, { prefix: keyPrefix(hash) });
  if (!key || !sameHash(key.secretHash, hash)) {
    throw new LrnasError(ErrorCode.UNAUTHENTICATED, 'unknown API key');
  }
  if (key.revokedAt) throw new LrnasError(ErrorCode.UNAUTHENTICATED, 'this API key was revoked');
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: now });
  }
  return { teamId: key.team.id, keyId: key.id };
}

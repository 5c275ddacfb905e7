import type { EntityManager } from '@mikro-orm/core';
import { requireViewer, notFound } from '../auth/access.js';
import type { Viewer } from '../auth/authenticate.js';
import { addApiKey, checkName } from '../auth/bootstrap.js';
import { ApiKey, Team } from '../persistence/entities/index.js';

/** A new key for the viewer's team; the key itself is returned this once. */
export async function createApiKey(
  em: EntityManager,
  viewer: Viewer | undefined,
  name: string,
): Promise<{ key: string; apiKey: ApiKey }> {
  const caller = requireViewer(viewer, 'createApiKey');
  const created = addApiKey(em, em.getReference(Team, caller.teamId), checkName('name', name));
  await em.flush();
  return created;
}

/** Revokes a key of the viewer's team (a key may revoke itself). Revoking twice is a no-op. */
export async function revokeApiKey(em: EntityManager, viewer: Viewer | undefined, id: string): Promise<ApiKey> {
  const caller = requireViewer(viewer, 'revokeApiKey');
  const key = await em.findOne(ApiKey, { id, team: caller.teamId });
  if (!key) throw notFound('API key', id);
  key.revokedAt ??= new Date();
  await em.flush();
  return key;
}

/** The keys of the viewer's team, newest first. */
export async function listApiKeys(em: EntityManager, viewer: Viewer | undefined): Promise<ApiKey[]> {
  const caller = requireViewer(viewer, 'apiKeys');
  return em.find(ApiKey, { team: caller.teamId }, { orderBy: { createdAt: 'desc', id: 'asc' } });
}

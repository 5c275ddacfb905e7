import type { EntityManager } from '@mikro-orm/core';
import { ContractError } from '@lrnas/schema';
import { newId } from '../ids.js';
import { ApiKey, Team } from '../persistence/entities/index.js';
import { KEY_PATTERN, generateApiKey, hashApiKey, keyPrefix } from './api-keys.js';

/** Validates a team or key name. */
export function checkName(field: string, name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200) throw new ContractError(field, 'must be 1 to 200 characters');
  return trimmed;
}

/** Stores a new key for the team; returns its row and the key itself (shown once, never stored). */
export function addApiKey(
  em: EntityManager,
  team: Team,
  name: string,
  key = generateApiKey(),
): { apiKey: ApiKey; key: string } {
  const hash = hashApiKey(key);
  const apiKey = em.create(ApiKey, { id: newId('key'), team, name, prefix: keyPrefix(hash), secretHash: hash });
  return { apiKey, key };
}

/** Creates a team with its first API key (for the `create-team` command). */
export async function createTeamWithKey(em: EntityManager, name: string): Promise<{ team: Team; key: string }> {
  const teamName = checkName('name', name);
  if (await em.findOne(Team, { name: teamName })) throw new ContractError('name', `a team named ${teamName} exists`);
  const team = em.create(Team, { id: newId('team'), name: teamName });
  const { key } = addApiKey(em, team, 'first key');
  await em.flush();
  return { team, key };
}

/**
 * With `LRNAS_BOOTSTRAP_KEY` set and no team in the database yet, creates the first team with
 * that key, so a deployment can be provisioned without a shell on the gateway. Once any team
 * exists it does nothing: the variable can stay set without re-creating anything or resurrecting
 * a revoked key.
 */
export async function bootstrapFirstTeam(em: EntityManager, key: string, teamName: string): Promise<Team | undefined> {
  if (!KEY_PATTERN.test(key)) {
    throw new ContractError('LRNAS_BOOTSTRAP_KEY', 'must be 32 to 200 letters, digits, "_" or "-"');
  }
  return em.transactional(async (tx) => {
    if ((await tx.count(Team, {})) > 0) return undefined;
    const team = tx.create(Team, { id: newId('team'), name: checkName('LRNAS_BOOTSTRAP_TEAM', teamName) });
    addApiKey(tx, team, 'bootstrap key', key);
    return team;
  });
}

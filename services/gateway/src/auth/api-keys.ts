import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys are `lrnas_` and 32 random bytes in base64url (256 bits). Only SHA-256 of the whole key
 * is stored. A slow password hash (bcrypt, scrypt) protects secrets people choose, which are
 * guessable; a 256-bit random key cannot be guessed from its hash however fast the hash is, and
 * a fast hash keeps the check off the request's critical path (bcrypt costs ~100 ms of CPU per
 * request on purpose).
 */
export const KEY_PATTERN = /^[A-Za-z0-9_-]{32,200}$/;

/** A fresh random key. */
export function generateApiKey(): string {
  return `lrnas_${randomBytes(32).toString('base64url')}`;
}

/** Hex SHA-256 of a key, the only form in which it is stored. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The lookup prefix of a key: the start of its hash (not of the key, so that a prefix reveals
 * nothing about the secret and operator-chosen bootstrap keys need no particular format).
 */
export function keyPrefix(hash: string): string {
  return hash.slice(0, 16);
}

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

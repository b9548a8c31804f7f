// API and upload tokens: 256 random bits behind a recognisable prefix, kept only as SHA-256 hashes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_TOKEN_PREFIX = 'pct_';
export const UPLOAD_TOKEN_PREFIX = 'pcu_';

export function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** Tokens carry 256 random bits, so one fast hash is enough; no salt or stretching is needed. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time check of a presented token against a stored hash. */
export function tokenMatches(presented: string, storedHash: string): boolean {
  const presentedHash = Buffer.from(hashToken(presented), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presentedHash.length && timingSafeEqual(presentedHash, stored);
}

export function newId(prefix: string): string {
  return prefix + randomBytes(16).toString('base64url');
}

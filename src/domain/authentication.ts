// Who is calling: an API token presented as `Authorization: Bearer …` becomes a Principal, and each
// operation checks the scope it needs. Used by the HTTP layer before any route runs.
import { AppError } from './errors.js';
import type { ApiTokenFinder } from './ports/metadata-store.js';
import { API_TOKEN_PREFIX, hashToken } from './tokens.js';
import type { Scope } from './types.js';

export interface Principal {
  readonly tokenId: string;
  readonly tenantId: string;
  readonly tenantName: string;
  readonly scopes: readonly Scope[];
}

export class Authenticator {
  constructor(private readonly tokens: ApiTokenFinder) {}

  /** Resolves `Authorization: Bearer …`; unauthenticated when absent or malformed, invalid_token when unknown or revoked. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    const match = authorization === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new AppError('unauthenticated', 'Send an API token as "Authorization: Bearer <token>".');
    const token = match[1];
    // Found by the SHA-256 of a 256-bit secret: timing of the indexed lookup reveals nothing usable about
    // the token, so the hash is not compared a second time.
    const record = token.startsWith(API_TOKEN_PREFIX) ? await this.tokens.findApiTokenByHash(hashToken(token)) : null;
    if (!record || record.revokedAt !== null) throw new AppError('invalid_token');
    return { tokenId: record.id, tenantId: record.tenantId, tenantName: record.tenantName, scopes: record.scopes };
  }
}

/** forbidden unless the principal's token carries `scope`. */
export function requireScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.includes(scope)) throw new AppError('forbidden', `This operation needs a token with the "${scope}" scope.`);
}

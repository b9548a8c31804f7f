// Who is calling: an API token presented as `Authorization: Bearer …` becomes a Principal, and each
// operation checks the scope it needs. Used by the HTTP layer before any route runs.
import { AppError } from './errors.js';
import type { ApiTokenFinder } from './ports/metadata-store.js';
import { API_TOKEN_PREFIX, hashToken } from './tokens.js';
import type { ApiTokenRecord, Scope } from './types.js';

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
    const found = await this.authenticateWith(authorization, async (tokenHash) => {
      const token = await this.tokens.findApiTokenByHash(tokenHash);
      return token ? { token, extra: undefined } : null;
    });
    return found.principal;
  }

  /**
   * authenticate(), with the token found by `lookup` together with what the operation reads next (one query
   * instead of two); `extra` is only returned once the token is known to be valid.
   */
  async authenticateWith<T>(
    authorization: string | undefined,
    lookup: (tokenHash: string) => Promise<{ token: ApiTokenRecord; extra: T } | null>,
  ): Promise<{ principal: Principal; extra: T }> {
    const match = authorization === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new AppError('unauthenticated', 'Send an API token as "Authorization: Bearer <token>".');
    const token = match[1];
    // Found by the SHA-256 of a 256-bit secret: timing of the indexed lookup reveals nothing usable about
    // the token, so the hash is not compared a second time.
    const found = token.startsWith(API_TOKEN_PREFIX) ? await lookup(hashToken(token)) : null;
    if (!found || found.token.revokedAt !== null) throw new AppError('invalid_token');
    const record = found.token;
    return {
      principal: { tokenId: record.id, tenantId: record.tenantId, tenantName: record.tenantName, scopes: record.scopes },
      extra: found.extra,
    };
  }
}

/** forbidden unless the principal's token carries `scope`. */
export function requireScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.includes(scope)) throw new AppError('forbidden', `This operation needs a token with the "${scope}" scope.`);
}

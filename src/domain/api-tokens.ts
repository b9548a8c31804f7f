// Issuing API tokens: the CLI's `token create` and the first start's bootstrap.
import type { ApiTokenStore } from './ports/metadata-store.js';
import { API_TOKEN_PREFIX, hashToken, newId, newToken } from './tokens.js';
import type { Scope } from './types.js';

/** Creates the tenant if needed and a token for it; returns the token, which is never stored. */
export async function issueApiToken(metadata: ApiTokenStore, tenantName: string, scopes: readonly Scope[]): Promise<string> {
  const tenant = await metadata.ensureTenant(tenantName);
  const token = newToken(API_TOKEN_PREFIX);
  await metadata.createApiToken({
    id: newId('tok_'),
    tenantId: tenant.id,
    tokenHash: hashToken(token),
    scopes,
    createdAt: new Date().toISOString(),
  });
  return token;
}

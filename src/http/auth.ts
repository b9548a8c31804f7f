// Authentication as an onRequest hook, so 401 and 403 come before any validation of the request,
// as API.md's table orders them. Each route declares what it needs in its config.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import type { ApiTokenRecord, Scope } from '../domain/types.js';
import { requireScope, type Authenticator, type Principal } from '../domain/authentication.js';
import type { RateLimiter } from './rate-limit.js';

export interface RouteAuth {
  /** The scope the route needs; absent means the route is public. */
  readonly scope?: Scope;
  /** The route needs a valid token but no particular scope (it checks what it asks itself). */
  readonly anyScope?: boolean;
  /** The route also needs X-Upload-Token (its absence is a 401, like a missing Authorization). */
  readonly uploadToken?: boolean;
  /**
   * Finds the token by its hash together with what the route reads next, in one query; what it found beside
   * the token is `request.prefetched`, set only once the token passed.
   */
  readonly lookup?: (request: FastifyRequest, tokenHash: string) => Promise<{ token: ApiTokenRecord; extra: unknown } | null>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal?: Principal;
    /** What the route's auth lookup read beside the token. */
    prefetched?: unknown;
  }
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route has no auth config');
  return request.principal;
}

export function uploadTokenOf(request: FastifyRequest): string {
  const value = request.headers['x-upload-token'];
  return typeof value === 'string' ? value : '';
}

/** The one wording of a missing API token, on every route (the service says the same of a malformed one). */
export const MISSING_API_TOKEN = 'Send an API token as "Authorization: Bearer <token>".';

/** Rate limiting comes after authentication: requests are counted per API token, never per guessed one. */
export function authHook(authenticator: Authenticator, limiter: RateLimiter) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const auth = request.routeOptions.config.auth;
    if (!auth?.scope && !auth?.anyScope) return;
    const authorization = request.headers.authorization;
    if (authorization === undefined) throw new AppError('unauthenticated', MISSING_API_TOKEN);
    if (auth.uploadToken && typeof request.headers['x-upload-token'] !== 'string') {
      throw new AppError('unauthenticated', 'This operation needs the X-Upload-Token header.');
    }
    const { lookup } = auth;
    let principal: Principal;
    if (lookup) {
      const found = await authenticator.authenticateWith(authorization, (tokenHash) => lookup(request, tokenHash));
      principal = found.principal;
      request.prefetched = found.extra;
    } else principal = await authenticator.authenticate(authorization);
    limiter.take(principal.tokenId);
    if (auth.scope) requireScope(principal, auth.scope);
    request.principal = principal;
  };
}

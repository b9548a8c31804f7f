// GET /v1/access: what a token may do, answered 2xx. Clients check their URL and token with it before any work,
// instead of asking for a made-up resource and counting on a 404 (which logs and counts as a client error).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireScope } from '../../domain/authentication.js';
import { SCOPES } from '../../domain/types.js';
import { principalOf } from '../auth.js';
import { AUTH_ERRORS, withErrors } from '../schemas.js';

const ScopeSchema = Type.Union(SCOPES.map((scope) => Type.Literal(scope)));

export const AccessSchema = Type.Object(
  {
    tenant: Type.String({ description: "The token's tenant" }),
    scopes: Type.Array(ScopeSchema, { description: 'What the token may do' }),
  },
  { description: 'The token is valid (and carries the scope asked for).', examples: [{ tenant: 'acme', scopes: ['upload', 'read'] }] },
);

export function accessRoutes(): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/access',
      {
        config: { auth: { anyScope: true } },
        schema: {
          operationId: 'checkAccess',
          summary: 'Check a token (and a scope) without touching anything',
          description:
            "Answers the token's tenant and scopes; with ?scope=, 403 forbidden unless the token carries it. " +
            'Clients call it first to check their URL and token.',
          tags: ['access'],
          querystring: Type.Object({
            scope: Type.Optional({ ...ScopeSchema, description: 'A scope the caller needs', examples: ['upload'] }),
          }),
          response: withErrors({ 200: AccessSchema }, [...AUTH_ERRORS, 'invalid_request']),
        },
      },
      async (request) => {
        const principal = principalOf(request);
        if (request.query.scope) requireScope(principal, request.query.scope);
        return { tenant: principal.tenantName, scopes: [...principal.scopes] };
      },
    );
  };
}

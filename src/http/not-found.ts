// Unknown paths answer 404 not_found; a known path asked with another method answers 405 with Allow.
// A path is known only when it matches a route exactly: "/healthz/", "/v1/upload-sessions/" or "/openapiXjson"
// are unknown paths.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import { sendError } from './error-handler.js';

interface KnownRoute {
  readonly method: string;
  readonly pattern: RegExp;
}

/** Records every route as it is added; call before the routes and the auth hook are registered. */
export function installNotFoundHandler(app: FastifyInstance): void {
  const routes: KnownRoute[] = [];
  // The router lets a parameter be empty: "/v1/upload-sessions/" would reach the status route with an empty
  // id. An empty segment names no resource, so it is an unknown path, before any authentication.
  app.addHook('onRequest', async (request, reply) => {
    // A method no route declares (QUERY, say) is answered here, before Fastify judges its body: its rules for
    // such a method's Content-Type would otherwise turn a plain 404 or 405 into an error of their own.
    if (!routes.some((route) => route.method === request.method)) return answerUnrouted(request, reply, routes);
    if (Object.values(request.params as Record<string, string>).some((value) => value === '')) return reply.callNotFound();
  });
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = patternOf(route.url);
    for (const method of methods) routes.push({ method, pattern });
  });

  app.setNotFoundHandler((request, reply) => answerUnrouted(request, reply, routes));
}

function answerUnrouted(request: FastifyRequest, reply: FastifyReply, routes: readonly KnownRoute[]): FastifyReply {
  const path = request.url.split('?')[0];
  const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))];
  if (allowed.length > 0) {
    reply.header('allow', allowed.join(', '));
    return sendError(reply, new AppError('method_not_allowed', `${request.method} is not allowed here; use ${allowed.join(' or ')}.`));
  }
  return sendError(reply, new AppError('not_found', `No route for ${request.method} ${path}.`));
}

/** A route URL as a regular expression: ":param" is one non-empty segment, "*" anything, the rest literal. */
export function patternOf(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

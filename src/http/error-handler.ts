// Turns every failure into the seed's flat body {"error", "message"} with the status of error-status.ts, and the
// headers HTTP asks of some statuses (WWW-Authenticate on a 401, Retry-After on a 429 or a 503).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError, type ErrorCode } from '../domain/errors.js';
import { drainBody, type DrainLimits } from './body-drain.js';
import { statusOf } from './error-status.js';
import { HttpAppError } from './http-error.js';
import { byteCount, overLimitMessage } from './limit-messages.js';
import { validationMessage, type ValidationIssue } from './validation-messages.js';

/** Fastify's own error codes, mapped once. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_BAD_URL: 'invalid_request',
  FST_ERR_ASYNC_CONSTRAINT: 'invalid_request',
};

/** A 503 is a passing state (a backend down, an instance draining): clients come back after this long. */
export const RETRY_UNAVAILABLE_AFTER_SECONDS = 5;
const REALM = 'Bearer realm="presscloud"';

export interface ErrorHandlerOptions {
  /** The JSON body limit, named in the 413's message. */
  readonly maxJsonBodyBytes: number;
  readonly drain: DrainLimits;
}

export function toAppError(err: unknown, options: Pick<ErrorHandlerOptions, 'maxJsonBodyBytes'>): AppError {
  if (isAppError(err)) return err;
  const fastifyError = err as Partial<FastifyError> & { validation?: ValidationIssue[] };
  if (fastifyError?.validation) {
    const context = fastifyError.validationContext ?? 'body';
    const first = fastifyError.validation[0];
    if (context === 'params' && first?.instancePath === '/sha256') return new AppError('invalid_sha256');
    return new AppError('invalid_request', first ? validationMessage(context, first) : 'The request is not valid.');
  }
  const mapped = fastifyError?.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  const status = fastifyError?.statusCode;
  if (mapped === 'payload_too_large' || (!mapped && status === 413)) {
    return new AppError('payload_too_large', overLimitMessage('The request body', byteCount(options.maxJsonBodyBytes), 'maxJsonBodyBytes'));
  }
  if (mapped) return new AppError(mapped);
  if (err instanceof SyntaxError) return new AppError('invalid_json');
  if (status === 415) return new AppError('unsupported_media_type');
  return new AppError('internal_error', undefined, { cause: err });
}

export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  const status = statusOf(error.code);
  if (status === 401) reply.header('www-authenticate', error.code === 'invalid_token' ? `${REALM}, error="invalid_token"` : REALM);
  const retryAfter = error.retryAfterSeconds ?? (status === 503 ? RETRY_UNAVAILABLE_AFTER_SECONDS : undefined);
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  if (error instanceof HttpAppError) reply.headers(error.headers);
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ error: error.code, message: error.message, ...error.extra });
}

export function installErrorHandler(app: FastifyInstance, options: ErrorHandlerOptions): void {
  app.setErrorHandler(async (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (clientWentAway(request)) {
      // Nobody is left to answer; the access log says "request aborted" (access-log.ts), not an error.
      request.log.debug({ err }, 'the client went away');
      return reply.code(499).send();
    }
    const error = toAppError(err, options);
    if (error.code === 'internal_error') request.log.error({ err }, 'unhandled error');
    else if (statusOf(error.code) >= 500) request.log.warn({ err: error.cause ?? error, code: error.code }, error.message);
    // A stalled client is sending nothing more: waiting for its body would only delay the answer.
    const bodyEnded = error.code !== 'request_timeout' && (await drainBody(request.raw, options.drain));
    if (!bodyEnded) reply.header('connection', 'close');
    return sendError(reply, error);
  });
}

function clientWentAway(request: FastifyRequest): boolean {
  return (request.raw.destroyed && !request.raw.complete) || request.raw.socket?.destroyed === true;
}

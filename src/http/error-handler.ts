// Turns every failure into the seed's flat body {"error", "message"} with the status of errors.ts.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError, type ErrorCode } from '../domain/errors.js';

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

export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  const fastifyError = err as Partial<FastifyError> & { validation?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }> };
  if (fastifyError?.validation) {
    const context = fastifyError.validationContext ?? 'body';
    const first = fastifyError.validation[0];
    const where = `${context}${first?.instancePath ?? ''}`.replaceAll('/', '.');
    if (context === 'params' && where.startsWith('params.sha256')) return new AppError('invalid_sha256');
    return new AppError('invalid_request', `${where} ${first?.message ?? 'is invalid'}.`);
  }
  const mapped = fastifyError?.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return new AppError(mapped, mapped === 'invalid_json' ? 'The request body is not valid JSON.' : undefined);
  if (err instanceof SyntaxError) return new AppError('invalid_json');
  const status = fastifyError?.statusCode;
  if (status === 413) return new AppError('payload_too_large');
  if (status === 415) return new AppError('unsupported_media_type');
  return new AppError('internal_error', undefined, { cause: err });
}

export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.headers) reply.headers(error.headers);
  return reply
    .code(error.status)
    .type('application/json; charset=utf-8')
    .send({ error: error.code, message: error.message, ...error.extra });
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const error = toAppError(err);
    if (error.code === 'internal_error') request.log.error({ err }, 'unhandled error');
    else if (error.status >= 500) request.log.warn({ err: error.cause ?? error, code: error.code }, error.message);
    // A body we did not read (or stopped reading) would otherwise be drained first; close instead.
    if (request.raw.readable && !request.raw.readableEnded && ['PUT', 'POST'].includes(request.method)) reply.header('connection', 'close');
    return sendError(reply, error);
  });
}


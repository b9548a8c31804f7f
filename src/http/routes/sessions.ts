// Upload sessions: create, status, complete and abort.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { UploadService } from '../../domain/upload-service.js';
import { principalOf, uploadTokenOf } from '../auth.js';
import {
  AUTH_ERRORS,
  CompletedSessionSchema,
  CreatedSessionSchema,
  createSessionBody,
  JSON_BODY_ERRORS,
  SessionStatusSchema,
  UploadSessionIdParam,
  UploadTokenHeaders,
  withErrors,
  type BodyLimits,
} from '../schemas.js';
import { siteOriginOf, withPreviewUrl } from '../site-origin.js';

const SessionParams = Type.Object({ uploadSessionId: UploadSessionIdParam });

export function sessionRoutes(service: UploadService, limits: BodyLimits & { readonly siteDomain: string }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/upload-sessions',
      {
        config: { auth: { scope: 'upload' } },
        schema: {
          operationId: 'createUploadSession',
          summary: 'Create an upload session from a manifest',
          description: 'Validates the file list and answers which of its blobs this tenant does not hold yet.',
          tags: ['sessions'],
          body: createSessionBody(limits),
          response: withErrors({ 201: CreatedSessionSchema }, [...AUTH_ERRORS, ...JSON_BODY_ERRORS, 'size_mismatch']),
        },
      },
      async (request, reply) => {
        const created = await service.createSession(principalOf(request), request.body);
        return reply.code(201).send(created);
      },
    );

    app.get(
      '/v1/upload-sessions/:uploadSessionId',
      {
        config: { auth: { scope: 'upload' } },
        schema: {
          operationId: 'getUploadSession',
          summary: 'Status of an upload session',
          tags: ['sessions'],
          params: SessionParams,
          response: withErrors({ 200: SessionStatusSchema }, [...AUTH_ERRORS, 'session_not_found']),
        },
      },
      async (request) => service.sessionStatus(principalOf(request), request.params.uploadSessionId),
    );

    app.post(
      '/v1/upload-sessions/:uploadSessionId/complete',
      {
        config: { auth: { scope: 'upload', uploadToken: true } },
        schema: {
          operationId: 'completeUploadSession',
          summary: 'Freeze a session into an immutable manifest',
          description: 'Answers the same 200 again for a completed session; 409 blobs_missing lists what is still missing.',
          tags: ['sessions'],
          params: SessionParams,
          headers: UploadTokenHeaders,
          response: withErrors({ 200: CompletedSessionSchema }, [
            ...AUTH_ERRORS,
            'payload_too_large',
            'invalid_upload_token',
            'session_not_found',
            'blobs_missing',
            'session_not_open',
            'session_expired',
          ]),
        },
      },
      async (request) => {
        const completed = await service.completeSession(principalOf(request), request.params.uploadSessionId, uploadTokenOf(request));
        return { ...completed, manifest: withPreviewUrl(siteOriginOf(request, limits.siteDomain), completed.manifest) };
      },
    );

    app.delete(
      '/v1/upload-sessions/:uploadSessionId',
      {
        config: { auth: { scope: 'upload', uploadToken: true } },
        schema: {
          operationId: 'abortUploadSession',
          summary: 'Abort an upload session',
          description: 'Later writes to it answer 409 session_not_open. Aborting an aborted session is a no-op.',
          tags: ['sessions'],
          params: SessionParams,
          headers: UploadTokenHeaders,
          response: withErrors({ 204: Type.Null({ description: 'The session is aborted (or already was).' }) }, [
            ...AUTH_ERRORS,
            'payload_too_large',
            'invalid_upload_token',
            'session_not_found',
            'session_not_open',
            'session_expired',
          ]),
        },
      },
      async (request, reply) => {
        await service.abortSession(principalOf(request), request.params.uploadSessionId, uploadTokenOf(request));
        return reply.code(204).send();
      },
    );
  };
}

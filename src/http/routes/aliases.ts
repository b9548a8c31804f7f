// Aliases: point a name at one of the tenant's manifests (atomically, with history), list, show, delete;
// and deleting a manifest, which an alias holds. Every answer links the sites on the site domain.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AliasService } from '../../domain/aliases.js';
import { siteUrl, type SiteOrigin } from '../../domain/site-links.js';
import type { AliasRecord } from '../../domain/types.js';
import { AliasListSchema, AliasNameParam, AliasSchema, AliasSetSchema, PutAliasBody } from '../alias-schemas.js';
import { principalOf } from '../auth.js';
import { AUTH_ERRORS, JSON_BODY_ERRORS, ManifestIdParam, withErrors } from '../schemas.js';
import { siteOriginOf, withPreviewUrl } from '../site-origin.js';

const NameParams = Type.Object({ name: AliasNameParam });

export function aliasRoutes(aliases: AliasService, siteDomain: string): FastifyPluginAsyncTypebox {
  return async (app) => {
    const linked = (origin: SiteOrigin, alias: AliasRecord) => ({ ...alias, url: siteUrl(origin, alias.name) });

    app.put(
      '/v1/aliases/:name',
      {
        config: { auth: { scope: 'publish' } },
        schema: {
          operationId: 'putAlias',
          summary: 'Point an alias at a manifest',
          description:
            'In one transaction, recorded in its history (pointing it at its current manifest records nothing). ' +
            'Once answered, every site request that starts afterwards, on any instance, serves the new manifest. ' +
            'Names are unique across the server: one another tenant holds is 409 alias_taken.',
          tags: ['aliases'],
          params: NameParams,
          body: PutAliasBody,
          response: withErrors({ 200: AliasSetSchema, 201: AliasSetSchema }, [
            ...AUTH_ERRORS,
            ...JSON_BODY_ERRORS,
            'manifest_not_found',
            'alias_taken',
          ]),
        },
      },
      async (request, reply) => {
        const set = await aliases.setAlias(principalOf(request), request.params.name, request.body.manifestId);
        const origin = siteOriginOf(request, siteDomain);
        return reply.code(set.created ? 201 : 200).send(withPreviewUrl(origin, linked(origin, set.alias)));
      },
    );

    app.get(
      '/v1/aliases',
      {
        config: { auth: { scope: 'read' } },
        schema: {
          operationId: 'listAliases',
          summary: "The tenant's aliases, by name",
          tags: ['aliases'],
          response: withErrors({ 200: AliasListSchema }, AUTH_ERRORS),
        },
      },
      async (request) => {
        const origin = siteOriginOf(request, siteDomain);
        return { aliases: (await aliases.listAliases(principalOf(request))).map((alias) => linked(origin, alias)) };
      },
    );

    app.get(
      '/v1/aliases/:name',
      {
        config: { auth: { scope: 'read' } },
        schema: {
          operationId: 'getAlias',
          summary: 'An alias with its history',
          tags: ['aliases'],
          params: NameParams,
          response: withErrors({ 200: AliasSchema }, [...AUTH_ERRORS, 'alias_not_found']),
        },
      },
      async (request) => {
        const found = await aliases.getAlias(principalOf(request), request.params.name);
        return { ...linked(siteOriginOf(request, siteDomain), found.alias), history: found.history };
      },
    );

    app.delete(
      '/v1/aliases/:name',
      {
        config: { auth: { scope: 'publish' } },
        schema: {
          operationId: 'deleteAlias',
          summary: 'Delete an alias and free its name',
          tags: ['aliases'],
          params: NameParams,
          response: withErrors({ 204: Type.Null({ description: 'The alias is gone; its site answers 404.' }) }, [
            ...AUTH_ERRORS,
            'alias_not_found',
          ]),
        },
      },
      async (request, reply) => {
        await aliases.deleteAlias(principalOf(request), request.params.name);
        return reply.code(204).send();
      },
    );

    app.delete(
      '/v1/manifests/:manifestId',
      {
        config: { auth: { scope: 'publish' } },
        schema: {
          operationId: 'deleteManifest',
          summary: 'Delete a manifest',
          description:
            'Refused (409 manifest_in_use, naming the aliases) while an alias points at it. Its blobs that no other ' +
            'manifest names are collected by the next garbage collection.',
          tags: ['manifests'],
          params: Type.Object({ manifestId: ManifestIdParam }),
          response: withErrors({ 204: Type.Null({ description: 'The manifest and its site are gone.' }) }, [
            ...AUTH_ERRORS,
            'manifest_not_found',
            'manifest_in_use',
          ]),
        },
      },
      async (request, reply) => {
        await aliases.deleteManifest(principalOf(request), request.params.manifestId);
        return reply.code(204).send();
      },
    );
  };
}

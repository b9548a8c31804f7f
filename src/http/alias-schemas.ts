// TypeBox schemas of the alias routes' bodies, beside schemas.ts's: they validate, shape answers and feed /openapi.json.
import { Type } from 'typebox';
import { EXAMPLES, MANIFEST_ID } from './examples.js';

const ManifestId = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'A manifest id of this tenant' });
const AliasUrl = Type.String({ format: 'uri', description: "The alias's site: {name}.{siteDomain}, on the port the client used" });

export const AliasNameParam = Type.String({
  description: '1–63 characters of a-z, 0-9 and "-", not starting or ending with "-", and not 32 hex digits (those are preview hosts)',
  examples: ['www'],
});

export const PutAliasBody = Type.Object(
  { manifestId: Type.String({ description: 'One of this tenant’s manifests', examples: [MANIFEST_ID] }) },
  { additionalProperties: false, examples: [EXAMPLES.putAliasBody] },
);

const AliasFields = {
  name: Type.String(),
  manifestId: ManifestId,
  url: AliasUrl,
  updatedAt: Type.String({ format: 'date-time', description: 'When it was last pointed at another manifest' }),
};

export const AliasSetSchema = Type.Object(
  {
    ...AliasFields,
    previewUrl: Type.String({ format: 'uri', description: "The manifest's preview site" }),
  },
  { description: 'The alias points at the manifest: every site request from now on serves it.', examples: [EXAMPLES.aliasSet] },
);

export const AliasListSchema = Type.Object(
  { aliases: Type.Array(Type.Object(AliasFields), { description: 'By name' }) },
  { description: "The tenant's aliases.", examples: [EXAMPLES.aliasList] },
);

export const AliasSchema = Type.Object(
  {
    ...AliasFields,
    history: Type.Array(Type.Object({ manifestId: ManifestId, at: Type.String({ format: 'date-time' }) }), {
      description: 'Every change, newest first: history[0] is the current manifest',
    }),
  },
  { description: 'The alias with its history.', examples: [EXAMPLES.alias] },
);

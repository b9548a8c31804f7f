// The schema validator's failures, told in the voice of the hand-written messages ("files[0].size must be
// an integer from 0 to 1000, not -1."), not in Ajv's ("body/files/0/size must be >= 0").
import { PATTERN_PHRASES } from './schemas.js';

/** One Ajv error, as Fastify hands it over (Ajv runs with `verbose`, so the schema and data are there). */
export interface ValidationIssue {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly parentSchema?: Record<string, unknown>;
  readonly data?: unknown;
}

type Context = 'body' | 'querystring' | 'params' | 'headers' | string;

const ROOTS: Record<string, string> = {
  body: 'The request body',
  querystring: 'The query string',
  params: 'The path',
  headers: 'The headers',
};

const TYPE_PHRASES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  array: 'an array',
  object: 'an object',
  boolean: 'true or false',
  null: 'null',
};

/** A sentence naming the field and what it must be. */
export function validationMessage(context: Context, issue: ValidationIssue): string {
  const field = fieldName(context, issue.instancePath);
  const subject = field ?? ROOTS[context] ?? 'The request';
  const schema = issue.parentSchema ?? {};
  const { params } = issue;
  switch (issue.keyword) {
    case 'required':
      return sentence(`${field ? `${field}.` : ''}${String(params.missingProperty)} is required`);
    case 'additionalProperties':
      return sentence(`${subject} has an unknown field "${String(params.additionalProperty)}"`);
    case 'type':
      return sentence(`${subject} must be ${typePhrase(params.type)}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return sentence(`${subject} must be ${rangePhrase(schema)}${typeof issue.data === 'number' ? `, not ${issue.data}` : ''}`);
    case 'minLength':
    case 'maxLength':
      return sentence(`${subject} ${lengthPhrase(schema)}`);
    case 'minItems':
      return sentence(`${subject} must list at least ${countOf(params.limit, 'entry', 'entries')}`);
    case 'maxItems':
      return sentence(
        `${subject} lists ${Array.isArray(issue.data) ? issue.data.length : 'too many'} entries; the limit is ${String(params.limit)}`,
      );
    case 'pattern':
      return sentence(`${subject} ${PATTERN_PHRASES[String(params.pattern)] ?? 'is not in the expected form'}`);
    case 'enum':
    case 'const': {
      const allowed = (Array.isArray(params.allowedValues) ? params.allowedValues : [params.allowedValue]).map((v) => JSON.stringify(v));
      return sentence(`${subject} must be ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`}`);
    }
    case 'format':
      return sentence(`${subject} must be a ${String(params.format)}`);
    default:
      return sentence(`${subject} is not valid`);
  }
}

/** `/files/0/size` → `files[0].size`; null for the root of the context. */
function fieldName(context: Context, instancePath: string): string | null {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (parts.length === 0) return null;
  let name = '';
  for (const part of parts) name += /^\d+$/.test(part) ? `[${part}]` : name === '' ? part : `.${part}`;
  return context === 'headers' ? `The ${name} header` : name;
}

function typePhrase(type: unknown): string {
  const types = Array.isArray(type) ? type : String(type).split(',');
  return types.map((t) => TYPE_PHRASES[String(t)] ?? String(t)).join(' or ');
}

function rangePhrase(schema: Record<string, unknown>): string {
  const kind = schema.type === 'integer' ? 'an integer' : 'a number';
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min === 0) return `a non-negative ${kind.replace(/^an? /, '')}`;
  if (min !== undefined) return `${kind} of at least ${min}`;
  if (max !== undefined) return `${kind} of at most ${max}`;
  return kind;
}

function lengthPhrase(schema: Record<string, unknown>): string {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
  if (max === undefined) return min === 1 ? 'must not be empty' : `must be at least ${countOf(min, 'character', 'characters')} long`;
  return min === 0 ? `must be at most ${countOf(max, 'character', 'characters')} long` : `must be ${min} to ${max} characters long`;
}

function countOf(value: unknown, one: string, many: string): string {
  return `${String(value)} ${Number(value) === 1 ? one : many}`;
}

/** Field names keep their case ("files[0].size must …"), as in the hand-written messages. */
function sentence(text: string): string {
  return `${text}.`;
}

// Checks an HTTP answer against what the served OpenAPI document declares for its operation and status:
// the media type, the JSON body (with Ajv, $refs resolved inside the document), the required headers.
import { Ajv } from 'ajv';

export interface OpenApiDocument {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { readonly headers?: Record<string, Header>; readonly responses?: Record<string, Response> };
}

interface Operation {
  readonly operationId: string;
  readonly responses: Record<string, Response | Ref>;
}

interface Ref {
  readonly $ref: string;
}

interface Header {
  readonly required?: boolean;
  readonly schema: Record<string, unknown>;
}

interface Response {
  readonly description: string;
  readonly headers?: Record<string, Header | Ref>;
  readonly content?: Record<string, { schema?: unknown }>;
}

export interface Answer {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const DOCUMENT_ID = 'openapi.json';

export class AnswerChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });

  constructor(private readonly document: OpenApiDocument) {
    this.ajv.addFormat('date-time', {
      type: 'string',
      validate: (value: string) => !Number.isNaN(Date.parse(value)) && /T.*(Z|[+-]\d\d:\d\d)$/.test(value),
    });
    this.ajv.addSchema(document as unknown as object, DOCUMENT_ID);
  }

  /** Every operation of the document, as "METHOD /path". */
  operations(): string[] {
    return Object.entries(this.document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
  }

  /** The problems with an answer; empty when the document describes it exactly. */
  problems(answer: Answer): string[] {
    const where = `${answer.method} ${answer.path} → ${answer.status}`;
    const operation = this.document.paths[answer.path]?.[answer.method.toLowerCase()];
    if (!operation) return [`${where}: no such operation in the document`];
    const key = String(answer.status) in operation.responses ? String(answer.status) : 'default';
    const declared = operation.responses[key];
    if (!declared) return [`${where}: the status is not declared`];
    const response = this.resolve<Response>(declared);
    const pointer = `#/paths/${pointerSegment(answer.path)}/${answer.method.toLowerCase()}/responses/${key}`;
    return [...this.headerProblems(where, response, answer), ...this.bodyProblems(where, response, answer, pointer)];
  }

  private headerProblems(where: string, response: Response, answer: Answer): string[] {
    const problems: string[] = [];
    for (const [name, declared] of Object.entries(response.headers ?? {})) {
      const header = this.resolve<Header>(declared);
      const value = answer.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) problems.push(`${where}: header ${name} is missing`);
        continue;
      }
      const typed = header.schema.type === 'integer' ? Number(value) : value;
      const validate = this.ajv.compile(header.schema);
      if (!validate(typed)) problems.push(`${where}: header ${name}: ${value} — ${this.ajv.errorsText(validate.errors)}`);
    }
    return problems;
  }

  private bodyProblems(where: string, response: Response, answer: Answer, pointer: string): string[] {
    const mediaTypes = Object.keys(response.content ?? {});
    if (mediaTypes.length === 0) return answer.body === '' ? [] : [`${where}: a body where the document declares none`];
    const contentType = (answer.headers['content-type'] ?? '').split(';')[0].trim();
    const mediaType = mediaTypes.find((declared) => matches(declared, contentType));
    if (!mediaType) return [`${where}: Content-Type ${contentType} is not one of ${mediaTypes.join(', ')}`];
    if (mediaType !== 'application/json' || response.content?.[mediaType].schema === undefined) return [];
    const validate = this.ajv.getSchema(`${DOCUMENT_ID}${pointer}/content/application~1json/schema`);
    if (!validate) return [`${where}: no JSON schema at ${pointer}`];
    return validate(JSON.parse(answer.body)) ? [] : [`${where}: ${this.ajv.errorsText(validate.errors)} in ${answer.body}`];
  }

  private resolve<T>(value: T | Ref): T {
    if (typeof value === 'object' && value !== null && '$ref' in value) {
      const parts = value.$ref.replace(/^#\//, '').split('/');
      return parts.reduce<unknown>(
        (node, part) => (node as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')],
        this.document,
      ) as T;
    }
    return value;
  }
}

function pointerSegment(path: string): string {
  return path.replaceAll('~', '~0').replaceAll('/', '~1');
}

function matches(declared: string, actual: string): boolean {
  if (declared === '*/*') return actual !== '';
  if (declared.endsWith('/*')) return actual.startsWith(declared.slice(0, -1));
  return declared === actual;
}

// What a route tells /openapi.json beyond its validation schema, in OpenAPI's own words: a body the route
// reads itself (the validator never sees it), binary answers, the headers of its answers.

export interface OpenApiHeader {
  readonly description: string;
  readonly required?: boolean;
  readonly schema: Readonly<Record<string, unknown>>;
}

export interface OpenApiMedia {
  /** Absent for raw bytes: OpenAPI 3.1 describes them by the media type alone. */
  readonly schema?: Readonly<Record<string, unknown>>;
  readonly example?: unknown;
}

export interface OpenApiRequestBody {
  readonly description: string;
  readonly required: boolean;
  readonly content: Readonly<Record<string, OpenApiMedia>>;
}

export interface OpenApiResponse {
  readonly description?: string;
  readonly headers?: Readonly<Record<string, OpenApiHeader>>;
  /** Replaces what the route schema says of the status's body; `{}` declares a body-less answer. */
  readonly content?: Readonly<Record<string, OpenApiMedia>>;
}

export interface RouteDoc {
  readonly requestBody?: OpenApiRequestBody;
  /** By status: merged into what the route schema generates (headers added, description and content replaced). */
  readonly responses?: Readonly<Record<number, OpenApiResponse>>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    openapi?: RouteDoc;
  }
}

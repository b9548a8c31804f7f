// The public SDK surface: the client, its errors, the upload core, and the wire's types (defined once in src/api/).
export * from './client.js';
export * from './errors.js';
export type * from '../api/types.js';
export * from './upload/index.js';

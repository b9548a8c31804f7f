// The public SDK surface: the client, its errors, and the wire's types (defined once in src/api/).
export * from './client.js';
export * from './errors.js';
export type * from '../api/types.js';

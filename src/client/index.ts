// The public SDK surface.
export * from './client.js';
export * from './errors.js';
export type * from './types.js';

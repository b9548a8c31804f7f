// The upload core: one algorithm for the CLI, the page and SDK users (README "One upload core").
export * from './api.js';
export * from './context.js';
export * from './errors.js';
export * from './fetch-api.js';
export * from './plan.js';
export * from './pool.js';
export * from './retry.js';
export * from './source.js';
export * from './stall.js';
export * from './upload.js';
export * from './blob-source.js';

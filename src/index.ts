// The package's entry point: the typed PressCloud client.
export * from './client/index.js';

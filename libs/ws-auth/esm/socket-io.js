// Re-exports the CommonJS build, as esm/index.js does: one copy of the library per process.
export * from '../dist/cjs/socket-io/index.js';

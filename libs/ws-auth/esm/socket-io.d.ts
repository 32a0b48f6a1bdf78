export * from '../dist/cjs/socket-io/index.js';

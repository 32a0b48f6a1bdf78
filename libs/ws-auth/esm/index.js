// The ESM entry point re-exports the CommonJS build instead of being a second
// copy of it: an app that both imports and requires the library (an ESM app
// with a CommonJS dependency on it) still gets one WsAuthModule, one
// WsAuthGuard, one registry of sockets. See Node's "dual package hazard".
export * from '../dist/cjs/index.js';

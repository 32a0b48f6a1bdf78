/** Injection token of the app's `ChatConfig`. */
export const CHAT_CONFIG = Symbol('CHAT_CONFIG');

/** The path of the chat gateway, which tickets minted by `POST /auth/ticket` are bound to. */
export const CHAT_PATH = '/chat';

/** Injection token of the app's prom-client `Registry`, which `GET /metrics` serves. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

/** Injection token of the app's ioredis client (one Redis or a Cluster), or `null` without `REDIS_URL` or `REDIS_CLUSTER_NODES`. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** CONTRACT.md: a frame larger than this from an authenticated socket closes it with 1009. */
export const MAX_FRAME_BYTES = 64 * 1024;

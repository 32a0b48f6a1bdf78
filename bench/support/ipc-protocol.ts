/**
 * The messages between the orchestrator and its child processes (servers,
 * load generators): a request names an operation, the reply carries its
 * result or the error's message. Plain JSON over the fork IPC channel.
 */
export interface IpcRequest {
  readonly id: number;
  readonly op: string;
  readonly args?: unknown;
}

export type IpcReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** Sent once by a child when it can take requests. */
export interface IpcReady {
  readonly ready: true;
  readonly info?: unknown;
}

/**
 * The child's first message: it asks for its configuration, which comes
 * over IPC rather than argv (a run's tickets would not fit in argv: E2BIG).
 */
export interface IpcConfigRequest {
  readonly awaitingConfig: true;
}

export interface IpcConfig {
  readonly config: unknown;
}

import type { IpcConfig, IpcConfigRequest, IpcReady, IpcReply, IpcRequest } from './ipc-protocol.js';

export type IpcHandlers = Record<string, (args: any) => unknown>;

/** The child's configuration, asked of the orchestrator. */
export function receiveConfig<T>(): Promise<T> {
  if (!process.send) {
    throw new Error('bench: this script is a child process of run-benchmarks, not a command');
  }
  return new Promise((resolve) => {
    const onMessage = (message: IpcConfig) => {
      if (message && 'config' in message) {
        process.off('message', onMessage);
        resolve(message.config as T);
      }
    };
    process.on('message', onMessage);
    process.send!({ awaitingConfig: true } satisfies IpcConfigRequest);
  });
}

/**
 * The child's side: answers the orchestrator's requests with `handlers`, then
 * says it is ready. The child exits when the orchestrator goes away, so an
 * interrupted run leaves no server or load generator behind.
 */
export function serveIpc(handlers: IpcHandlers, info?: unknown): void {
  if (!process.send) {
    throw new Error('bench: this script is a child process of run-benchmarks, not a command');
  }
  process.on('message', (message: IpcRequest) => {
    const handler = handlers[message.op];
    Promise.resolve()
      .then(() => {
        if (!handler) {
          throw new Error(`unknown operation ${message.op}`);
        }
        return handler(message.args);
      })
      .then(
        (result) => reply({ id: message.id, ok: true, result: result ?? null }),
        (error: unknown) => reply({ id: message.id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true, info } satisfies IpcReady);
}

function reply(message: IpcReply): void {
  process.send?.(message);
}

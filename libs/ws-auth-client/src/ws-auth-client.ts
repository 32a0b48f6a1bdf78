/**
 * A small client for ws-auth servers, for browsers and Node (pass the `ws`
 * package as `WebSocket` on Node 20). No dependencies: the page loads the
 * compiled file as an ES module.
 *
 * It opens the socket with a fresh credential every time (a ticket fetched
 * from your endpoint, or a token in the subprotocol or header form),
 * refreshes the token in band when the server says `auth_expiring`,
 * reconnects with a fresh credential and backoff after 4401 or a dropped
 * connection, never after 4403, and tells a refused handshake apart from a
 * network failure (a browser only sees close 1006: the ticket endpoint says why).
 */

/** How the client obtains a credential for each connection attempt. */
export type WsAuthCredential =
  /** Fetches a single-use ticket (e.g. `POST /auth/ticket`); sent as `?ticket=`. */
  | { kind: 'ticket'; getTicket: () => Promise<string> }
  /** Sends the token as `new WebSocket(url, ['access_token', token])`. */
  | { kind: 'protocol'; getToken: () => Promise<string> }
  /** Sends `Authorization: Bearer` (Node's `ws` only: browsers cannot). */
  | { kind: 'header'; getToken: () => Promise<string> };

export type WsAuthClientState =
  | 'idle'
  | 'connecting'
  | 'open'
  | 'reconnecting'
  /** Stopped for good: 4403, a refused credential, or `close()`. */
  | 'closed';

export interface WsAuthClientOptions {
  url: string;
  credential: WsAuthCredential;
  /** Returns a fresh access token, for in-band refresh on `auth_expiring`. */
  refreshToken?: () => Promise<string>;
  /** A WebSocket constructor; default `globalThis.WebSocket`. On Node 20 pass `ws`. */
  WebSocket?: WebSocketConstructor;
  /** Reconnection backoff: the first delay, doubled per attempt up to the max, with jitter. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number; maxAttempts?: number };
  onMessage?: (frame: { event: string; data: unknown }) => void;
  onStateChange?: (state: WsAuthClientState, detail: WsAuthClientDetail) => void;
}

/** Why the state changed, for display: a close code and a sentence. */
export interface WsAuthClientDetail {
  code?: number;
  reason: string;
}

/** Thrown by a credential getter to say the user must log in again (stops reconnecting). */
export class WsAuthUnauthorizedError extends Error {
  override readonly name = 'WsAuthUnauthorizedError';
}

interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: unknown) => WebSocketLike;

const OPEN = 1;
/** Close codes of ws-auth (see the server's README). */
const UNAUTHORIZED = 4401;
const FORBIDDEN = 4403;
const AUTH_TIMEOUT = 4408;

export class WsAuthClient {
  private socket?: WebSocketLike;
  private attempt = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private stopped = false;
  private current: WsAuthClientState = 'idle';

  constructor(private readonly options: WsAuthClientOptions) {}

  get state(): WsAuthClientState {
    return this.current;
  }

  /** The subprotocol the server selected, once open. */
  get protocol(): string | undefined {
    return this.socket?.protocol || undefined;
  }

  /** Opens the connection; reconnects by itself until `close()` or a final refusal. */
  connect(): void {
    this.stopped = false;
    void this.open();
  }

  send(event: string, data?: unknown): void {
    if (this.socket?.readyState !== OPEN) {
      throw new Error('The socket is not open');
    }
    this.socket.send(JSON.stringify({ event, data }));
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, 'Client closed');
    this.setState('closed', { code: 1000, reason: 'Closed by the client' });
  }

  private async open(): Promise<void> {
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting', { reason: this.attempt === 0 ? 'Connecting' : `Attempt ${this.attempt + 1}` });
    let socket: WebSocketLike;
    try {
      socket = await this.createSocket();
    } catch (error) {
      return this.onCredentialFailure(error);
    }
    if (this.stopped) {
      socket.close(1000);
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.setState('open', { reason: 'Connected' });
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onerror = () => undefined; // the close event that follows says what happened
    socket.onclose = (event) => {
      if (this.socket !== socket) {
        return;
      }
      this.socket = undefined;
      void this.onClose(event.code, event.reason, opened);
    };
  }

  private async createSocket(): Promise<WebSocketLike> {
    const WebSocketImpl = this.options.WebSocket ?? (globalThis as unknown as { WebSocket: WebSocketConstructor }).WebSocket;
    const { credential, url } = this.options;
    switch (credential.kind) {
      case 'ticket': {
        const ticket = await credential.getTicket();
        const target = new URL(url);
        target.searchParams.set('ticket', ticket);
        return new WebSocketImpl(target.toString());
      }
      case 'protocol':
        return new WebSocketImpl(url, ['access_token', await credential.getToken()]);
      case 'header':
        return new WebSocketImpl(url, [], { headers: { Authorization: `Bearer ${await credential.getToken()}` } });
    }
  }

  private receive(raw: unknown): void {
    let frame: { event: string; data: any };
    try {
      frame = JSON.parse(String(raw));
    } catch {
      return;
    }
    if (frame.event === 'auth_expiring' && this.options.refreshToken) {
      void this.refresh();
    }
    this.options.onMessage?.(frame);
  }

  /** Sends a fresh token in band; a failure leaves the expiry close to reconnect. */
  private async refresh(): Promise<void> {
    try {
      const token = await this.options.refreshToken!();
      if (this.socket?.readyState === OPEN) {
        this.socket.send(JSON.stringify({ event: 'auth', data: { token } }));
      }
    } catch {
      // The server closes with 4401 at exp; the reconnection fetches a fresh credential.
    }
  }

  private async onClose(code: number, reason: string, opened: boolean): Promise<void> {
    if (this.stopped) {
      return;
    }
    if (code === FORBIDDEN) {
      this.stopped = true;
      return this.setState('closed', { code, reason: reason || 'Forbidden: the session was revoked' });
    }
    const why =
      code === UNAUTHORIZED ? 'The token expired or was refused; reconnecting with a fresh credential'
      : code === AUTH_TIMEOUT ? 'Authentication timed out; reconnecting'
      : opened ? `Connection lost (${code}); reconnecting`
      // A browser sees a refused handshake only as 1006. The next attempt asks
      // for a fresh credential: a ticket endpoint answering 401 (the getter
      // throws WsAuthUnauthorizedError) stops here with that reason.
      : 'The handshake failed; retrying with a fresh credential';
    this.scheduleReconnect({ code, reason: why });
  }

  private onCredentialFailure(error: unknown): void {
    if (error instanceof WsAuthUnauthorizedError) {
      this.stopped = true;
      return this.setState('closed', { code: UNAUTHORIZED, reason: error.message || 'Log in again' });
    }
    this.scheduleReconnect({ reason: `Could not get a credential: ${(error as Error)?.message ?? error}` });
  }

  private scheduleReconnect(detail: WsAuthClientDetail): void {
    const { initialDelayMs = 250, maxDelayMs = 10_000, maxAttempts = Infinity } = this.options.reconnect ?? {};
    if (this.attempt >= maxAttempts) {
      this.stopped = true;
      return this.setState('closed', { ...detail, reason: `${detail.reason}; giving up` });
    }
    const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt++;
    this.setState('reconnecting', detail);
    this.timer = setTimeout(() => void this.open(), delay);
  }

  private setState(state: WsAuthClientState, detail: WsAuthClientDetail): void {
    this.current = state;
    this.options.onStateChange?.(state, detail);
  }
}

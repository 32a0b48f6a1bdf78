import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/** A ConsoleLogger that keeps every line (debug included) instead of printing it. */
class CapturingLogger extends ConsoleLogger {
  constructor(private readonly lines: string[]) {
    super('Test', { logLevels: ['log', 'error', 'warn', 'debug', 'verbose', 'fatal'] });
  }

  // ConsoleLogger's single output point: every level passes through it.
  protected override printMessages(messages: unknown[], context = '', logLevel: LogLevel = 'log', _?: unknown, errorStack?: unknown): void {
    for (const message of messages) {
      const text = message instanceof Error ? `${message.message}\n${message.stack}` : typeof message === 'string' ? message : JSON.stringify(message);
      this.lines.push(`${logLevel} [${context}] ${text}${errorStack ? `\n${String(errorStack)}` : ''}`);
    }
  }
}

/** The app's log, kept so tests can prove that no credential is ever printed. */
export class LogCapture {
  readonly lines: string[] = [];

  logger(): ConsoleLogger {
    return new CapturingLogger(this.lines);
  }

  /** Throws when any captured line contains one of the secrets, raw or base64url-encoded. */
  assertNoneContain(...secrets: string[]): void {
    const forms = secrets.filter(Boolean).flatMap((secret) => [secret, Buffer.from(secret).toString('base64url')]);
    for (const line of this.lines) {
      const leaked = forms.find((form) => line.includes(form));
      if (leaked) {
        throw new Error(`A log line contains a credential: ${line.replace(leaked, '<credential>').slice(0, 200)}`);
      }
    }
  }
}

import { Logger } from '@nestjs/common';

/**
 * One warning per outage, not one per reconnection attempt, and one line
 * when it ends. Only a reason (an error code) is written: never a URL or an
 * address, which may hold a password.
 */
export class OutageLog {
  private readonly logger = new Logger('WsAuth');
  private isDown = false;

  constructor(private readonly what: string) {}

  down(why: string): void {
    if (!this.isDown) {
      this.isDown = true;
      this.logger.warn(`${this.what} is unreachable (${why}); retrying in the background`);
    }
  }

  up(): void {
    if (this.isDown) {
      this.isDown = false;
      this.logger.log(`${this.what} is reachable again`);
    }
  }
}

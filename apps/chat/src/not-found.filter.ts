import { Catch, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { ServerResponse } from 'node:http';

/**
 * Nest answers a request no route serves with "Cannot GET <url>": a browser
 * that opens `/chat?ticket=...` without upgrading would get its ticket back in
 * the body, where proxies and error trackers keep it. This answers with the
 * status alone.
 */
const BODY = JSON.stringify({ statusCode: 404, error: 'Not Found' });

@Catch(NotFoundException)
export class NotFoundFilter implements ExceptionFilter {
  catch(_: NotFoundException, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<ServerResponse>();
    response.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
    response.end(BODY);
  }
}

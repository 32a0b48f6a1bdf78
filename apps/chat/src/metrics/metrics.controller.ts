import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '../chat.constants.js';

/**
 * `GET /metrics`: the library's series (and anything else the app registers)
 * in Prometheus text format, for a scraper on the operators' network. It
 * carries no subject or credential, so it needs no login; keep it off the
 * public internet as any `/metrics` is.
 */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

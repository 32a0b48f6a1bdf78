import { fromQueryParameter } from '../extractors/query-parameter.extractor.js';
import type { WsCredentialSource } from '../interfaces/credential-source.interface.js';
import type { TicketService } from './ticket.service.js';

/** The query parameter that carries a ticket: `wss://host/chat?ticket=...`. */
export const TICKET_PARAMETER = 'ticket';

/**
 * The `ticket` credential source: `?ticket=` on the upgrade URL (repeated:
 * 400 `invalid_request`), redeemed by the `TicketService` instead of the
 * token verifiers. `WsAuthenticator` builds it for the source name `ticket`,
 * since it needs the service from DI.
 */
export function ticketSource(tickets: TicketService): WsCredentialSource {
  return {
    name: 'ticket',
    extract: fromQueryParameter(TICKET_PARAMETER),
    authenticate: (credential, request) => tickets.redeem(credential, request),
  };
}

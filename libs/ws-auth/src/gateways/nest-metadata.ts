/**
 * Metadata keys that Nest's own decorators write (`@WebSocketGateway()`,
 * `@UseGuards()`), read to find the gateways and the guards on them. Nest
 * exports them only from files that are not public entry points
 * (`@nestjs/websockets/constants.js`, `@nestjs/common/constants.js`, and in
 * Nest 12 `@nestjs/common/internal`, which Nest 11 lacks), so an import
 * would tie the library to one Nest's file layout. The values have not
 * changed since Nest 5; they are written down in this one place.
 */
export const NEST_GATEWAY_METADATA = 'websockets:is_gateway';
export const NEST_GATEWAY_OPTIONS = 'websockets:gateway_options';
export const NEST_PORT_METADATA = 'port';
export const NEST_GUARDS_METADATA = '__guards__';

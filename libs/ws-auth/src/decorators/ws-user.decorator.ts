import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { getWsAuth } from '../ws-auth.state.js';

/**
 * The principal of the socket that sent the message (what the verifier made of
 * the token), or one property of it: `@WsUser('sub') sub: string`.
 */
export const WsUser = createParamDecorator((property: string | undefined, context: ExecutionContext) => {
  const principal = getWsAuth(context.switchToWs().getClient())?.principal as Record<string, unknown> | undefined;
  return property && principal ? principal[property] : principal;
});

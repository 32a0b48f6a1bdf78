/** Injection token of the app's `ChatConfig`. */
export const CHAT_CONFIG = Symbol('CHAT_CONFIG');

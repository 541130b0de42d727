import type { OperatorScope, Session } from '../handshake.js';

/** One gateway method: the scope it needs and its handler. Handlers may throw SrdError or MethodError. */
export interface MethodSpec {
  scope: OperatorScope;
  handler: (params: unknown, session: Session) => unknown;
}

/** Method name → spec. */
export type MethodTable = Record<string, MethodSpec>;

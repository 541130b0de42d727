import { type DashboardHandlers, dashboardMethods } from './dashboard.js';
import { type LearningHandlers, learningMethods } from './learning.js';
import { type OpenclawHandlers, openclawMethods } from './openclaw.js';
import { type RouteHandlers, routeMethods } from './route.js';
import type { MethodTable } from './types.js';
import { type UsageHandlers, usageMethods } from './usage.js';

/** What every gateway method needs from the daemon, grouped by the method family. */
export interface MethodHandlers {
  openclaw: OpenclawHandlers;
  route: RouteHandlers;
  learning: LearningHandlers;
  usage: UsageHandlers;
  dashboard: DashboardHandlers;
}

/**
 * The gateway's whole method registry (DESIGN.md §7): OpenClaw's own methods, `route` and
 * `router.stats`, the learning methods and `usage.status`. `hello-ok.features.methods` lists its keys, and
 * test/gateway/methods-doc.test.ts holds docs/protocol.md's method table against it.
 */
export function methodTable(h: MethodHandlers): MethodTable {
  return {
    ...openclawMethods(h.openclaw),
    ...routeMethods(h.route),
    ...learningMethods(h.learning),
    ...usageMethods(h.usage),
    ...dashboardMethods(h.dashboard),
  };
}

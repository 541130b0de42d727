import type { MethodTable } from './types.js';

/** What `dashboard.open` needs from the daemon. */
export interface DashboardHandlers {
  /** A one-time login code for the dashboard, in the URL fragment of the page: `{url, expiresAt}`. */
  open: () => unknown;
}

/**
 * `dashboard.open` (issue 21, operator.admin): a one-time code (2 minutes, single use) for the local
 * dashboard, as `http://<gateway>/#code=<code>`; `smart-routerd dashboard` opens it in the browser.
 * The page exchanges it for an HttpOnly session cookie, so the token never appears in a URL.
 */
export function dashboardMethods(h: DashboardHandlers): MethodTable {
  return { 'dashboard.open': { scope: 'operator.admin', handler: () => h.open() } };
}

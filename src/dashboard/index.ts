/** The dashboard room (issue 21): the local web page at `/`, its login and its JSON/SSE API. */
export { CSP, Dashboard, type DashboardOptions, type DashboardSources, SESSION_COOKIE } from './server.js';
export { DashboardSessions } from './sessions.js';

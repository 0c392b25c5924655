// The console's response headers, one list for both hosts: the local gateway sends them with every console file,
// and the CloudFront response headers policy (lib/console-hosting.ts) sends the same on AWS.

/** Scripts, styles and API calls from the console's own origin only; no framing, no inline code. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' https://*.amazoncognito.com",
  "form-action 'self' https://*.amazoncognito.com",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** Two years, subdomains included (HSTS; browsers ignore it over plain http, as on the local stack). */
export const HSTS_MAX_AGE_SECONDS = 63_072_000;
export const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=()';

export const CONSOLE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`,
  'permissions-policy': PERMISSIONS_POLICY,
};

/** What the console reads at start from `config.json`: where to sign in and where the API is. */
export interface ConsoleConfig {
  /** The API's base URL ('' = the console's own origin). */
  apiUrl: string;
  authorizeUrl: string;
  tokenUrl: string;
  logoutUrl?: string;
  clientId: string;
  /** Where the authorization server sends the code: `<console origin>/console/callback`. */
  redirectUri: string;
}

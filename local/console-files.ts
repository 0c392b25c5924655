// Local stack: the ops console's built files under /console/, as CloudFront serves them from S3 on AWS: the same
// security headers, a page route (/console/cases/{id}) answered with index.html, and config.json made for this
// stack (where to sign in, where the API is).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { CONSOLE_SECURITY_HEADERS, type ConsoleConfig } from '../console/headers.ts';

export const CONSOLE_PREFIX = '/console';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

export interface ConsoleFile {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** The response for a GET under /console, or undefined when the console is not built. */
export function consoleFile(distDir: string, pathname: string, config: ConsoleConfig): ConsoleFile {
  const headers = { ...CONSOLE_SECURITY_HEADERS };
  if (pathname === CONSOLE_PREFIX) return { status: 308, headers: { ...headers, location: `${CONSOLE_PREFIX}/` }, body: '' };
  const rel = decodeURIComponent(pathname.slice(CONSOLE_PREFIX.length + 1));
  if (rel === 'config.json') return { status: 200, headers: { ...headers, 'content-type': TYPES['.json']!, 'cache-control': 'no-store' }, body: JSON.stringify(config) };
  const index = join(distDir, 'index.html');
  if (!existsSync(index)) {
    return { status: 503, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: 'The console is not built: run `npm start` (it builds it) or `npx vite build console`.\n' };
  }
  const file = normalize(join(distDir, rel));
  const inside = file.startsWith(distDir + sep);
  if (inside && rel && existsSync(file) && statSync(file).isFile()) {
    // Vite names assets by content hash: they never change, so they may be cached for good.
    const immutable = rel.startsWith('assets/');
    return {
      status: 200,
      headers: { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' },
      body: readFileSync(file),
    };
  }
  // A page of the single-page app (/, /cases/{id}, /callback); a missing asset is a plain 404.
  if (extname(rel)) return { status: 404, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: 'not found\n' };
  return { status: 200, headers: { ...headers, 'content-type': TYPES['.html']!, 'cache-control': 'no-cache' }, body: readFileSync(index) };
}

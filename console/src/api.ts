// The console's only way to the data: the public HTTP API with the signed-in person's bearer token. A 401 (token
// expired or revoked) sends the person to sign in again and back to the same page.
import { loadConfig } from './config.ts';
import { session, signIn } from './auth.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; errors?: { path: string; message: string }[] },
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

export async function api<T>(method: 'GET' | 'POST', path: string, opts: { body?: unknown; ifMatch?: number } = {}): Promise<T> {
  const s = session();
  if (!s) return signIn();
  const cfg = await loadConfig();
  const headers: Record<string, string> = { authorization: `Bearer ${s.token}` };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.ifMatch !== undefined) headers['if-match'] = `"${opts.ifMatch}"`;
  const r = await fetch(`${cfg.apiUrl}${path}`, { method, headers, cache: 'no-store', ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  if (r.status === 401) return signIn();
  const text = await r.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!r.ok) throw new ApiError(r.status, (body ?? {}) as ApiError['problem']);
  return body as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown, ifMatch?: number) => api<T>('POST', path, { body, ...(ifMatch !== undefined ? { ifMatch } : {}) });

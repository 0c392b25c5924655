// Primary adapter helpers shared by the case routes: the case id from the path, and the case as a response.
import type { StoredResponse } from '../app/ports.ts';
import type { HttpEvent } from '../commons/http.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { CaseRecord } from '../domain/model.ts';
import { toView } from './views.ts';

export function caseResponse(statusCode: number, c: CaseRecord, extra: Record<string, string> = {}): StoredResponse {
  return { statusCode, headers: { 'content-type': 'application/json', etag: `"${c.version}"`, ...extra }, body: JSON.stringify(toView(c)) };
}

/** Case ids are ULIDs; anything else cannot name a case. */
export function caseIdOf(event: HttpEvent): string {
  const id = event.pathParameters?.['id'] ?? '';
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) throw new NotFoundError(`no case ${id}`);
  return id;
}

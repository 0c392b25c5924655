// Application: reading cases. Kept apart from the write path so read-only routes bundle only the repository.
import { caseRepository } from '../adapters/case-repository.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { CaseRecord } from '../domain/model.ts';

export async function getCase(id: string): Promise<CaseRecord> {
  const c = await caseRepository.get(id);
  if (!c) throw new NotFoundError(`no case ${id}`);
  return c;
}

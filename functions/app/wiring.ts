// Application: the use cases bound to the deployed adapters (DynamoDB). Handlers import these; tests build their own
// with in-memory ports (test/support/fakes.ts).
import { caseStore } from '../adapters/case-store.ts';
import { countedCaseStore } from '../adapters/observed-ports.ts';
import { getPolicy } from '../commons/config.ts';
import { caseUseCases } from './cases.ts';

export const cases = caseUseCases({ store: countedCaseStore(caseStore), policy: getPolicy });

// Application: the effect use cases bound to the deployed adapters (DynamoDB, Step Functions, SES). Imported by the
// stream consumer and the reconciler only, so the API's functions never bundle the mailer.
import { caseStore } from '../adapters/case-store.ts';
import { emailStore } from '../adapters/email-store.ts';
import { countedCaseStore, countedEmailStore, loggedTimer } from '../adapters/observed-ports.ts';
import { sesMailer } from '../adapters/ses-mailer.ts';
import { workflowTimer } from '../adapters/workflow-timer.ts';
import { getPolicy } from '../commons/config.ts';
import { logger } from '../commons/observability.ts';
import { emailComposer } from '../notifications/compose.ts';
import { effectUseCases } from './effects.ts';

export const effects = effectUseCases({
  store: countedCaseStore(caseStore),
  emails: countedEmailStore(emailStore),
  timer: loggedTimer(workflowTimer),
  mailer: sesMailer,
  composer: emailComposer,
  policy: getPolicy,
  log: logger,
});

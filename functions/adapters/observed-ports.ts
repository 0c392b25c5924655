// Secondary adapter decorators: what the stores and the timer really did, counted as business metrics and logged
// with the case id, once it happened (after the transaction committed, after the email's outcome was written).
// The use cases stay free of telemetry; the composition roots (app/wiring.ts, app/effects-wiring.ts) wrap the
// deployed adapters with these.
import type { CaseStore, EmailStore, Timer } from '../app/ports.ts';
import { countCommittedEvents, countEmailOutcome, logger } from '../commons/observability.ts';

export function countedCaseStore<S extends CaseStore>(store: S): S {
  return {
    ...store,
    async commit(change) {
      await store.commit(change);
      countCommittedEvents(change.case.id, change.events, change.case.level);
      logger.info('change committed', { caseId: change.case.id, version: change.case.version, events: change.events.map((e) => e.type) });
    },
  };
}

export function countedEmailStore<S extends EmailStore>(store: S): S {
  return {
    ...store,
    async settleEmail(email, claimedAt, outcome) {
      await store.settleEmail(email, claimedAt, outcome);
      countEmailOutcome(email.caseId, outcome.state);
      logger.info('email settled', { caseId: email.caseId, template: email.template, state: outcome.state });
    },
    async skipEmail(email, outcome) {
      const skipped = await store.skipEmail(email, outcome);
      if (skipped) {
        countEmailOutcome(email.caseId, outcome.state);
        logger.info('email settled', { caseId: email.caseId, template: email.template, state: outcome.state });
      }
      return skipped;
    },
  };
}

export function loggedTimer(timer: Timer): Timer {
  return {
    async start(caseId, timerVersion, wakeAt) {
      await timer.start(caseId, timerVersion, wakeAt);
      logger.info('timer started', { caseId, timerVersion, wakeAt });
    },
    async stop(caseId, timerVersion, cause) {
      await timer.stop(caseId, timerVersion, cause);
      logger.info('timer stopped', { caseId, timerVersion, cause });
    },
  };
}

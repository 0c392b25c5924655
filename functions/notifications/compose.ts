// Notifications: an owed email made ready to send — the template rendered for its case and event, survey links
// signed, the customer's other cases listed for managers.
import { caseRepository } from '../adapters/case-repository.ts';
import type { EmailComposer } from '../app/effects.ts';
import { getPolicy } from '../commons/config.ts';
import { linkSigningKey, signLink } from '../commons/signed-links.ts';
import type { TemplateName } from '../domain/notifications.ts';
import { renderEmail, renderWarningDigest, type RenderInput } from './templates.ts';

/** Survey links stay valid this long. */
const SURVEY_VALID_MS = 30 * 86_400_000;

export const emailComposer: EmailComposer = {
  async compose(c, email, event) {
    const policy = getPolicy();
    const input: RenderInput = { template: email.template as TemplateName, case: c, event, recipient: email.to, policy };
    if (email.template === 'follow-up') {
      const expires = new Date(Date.now() + SURVEY_VALID_MS);
      const token = signLink(c.id, 'feedback', expires, await linkSigningKey());
      const base = policy.notifications.publicBaseUrl.replace(/\/$/, '');
      const link = (n: number) => `${base}/feedback/${token}?rating=${n}`;
      input.surveyLinks = { 1: link(1), 2: link(2), 3: link(3), 4: link(4), 5: link(5) };
    }
    if (email.audience === 'internal') {
      const page = await caseRepository.list({ customerId: c.customer.id, limit: 11 });
      input.customerHistory = page.items
        .filter((o) => o.id !== c.id)
        .slice(0, 10)
        .map((o) => ({ id: o.id, subject: o.subject, status: o.status, createdAt: o.createdAt, ...(o.resolvedAt ? { resolvedAt: o.resolvedAt } : {}) }));
    }
    const rendered = renderEmail(input);
    return { to: email.to, subject: rendered.subject, text: rendered.text, html: rendered.html, tags: { case: c.id, template: email.template } };
  },

  async composeDigest(to, warnings) {
    const rendered = renderWarningDigest({ recipient: to, policy: getPolicy(), warnings });
    // SES tags name one case: the digest's first (soonest) one; the template tag says it is a digest.
    return { to, subject: rendered.subject, text: rendered.text, html: rendered.html, tags: { case: warnings[0]!.case.id, template: 'breach-warning-digest' } };
  },
};

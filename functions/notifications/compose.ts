// Notifications: an owed email made ready to send — the template rendered for its case and event, survey links
// signed, the customer's other cases listed for managers.
import { findCases } from '../adapters/case-queries.ts';
import type { EmailComposer } from '../app/effects.ts';
import { getPolicy } from '../commons/config.ts';
import { createHash } from 'node:crypto';
import { linkSigningKey, replyAddress, signLink } from '../commons/signed-links.ts';
import type { TemplateName } from '../domain/notifications.ts';
import { referenceOf } from '../domain/operations.ts';
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
      const page = await findCases({ customerId: c.customer.id, limit: 11 });
      input.customerHistory = page.items
        .filter((o) => o.id !== c.id)
        .slice(0, 10)
        .map((o) => ({ id: o.id, subject: o.subject, status: o.status, createdAt: o.createdAt, ...(o.resolvedAt ? { resolvedAt: o.resolvedAt } : {}) }));
    }
    const rendered = renderEmail(input);
    // With an inbound domain (INBOUND_DOMAIN, set by the stack) customers reply to the case itself; without one, to
    // the policy's reply-to.
    const inboundDomain = process.env['INBOUND_DOMAIN'];
    const replyTo = inboundDomain && email.audience === 'customer' ? replyAddress(referenceOf(c), inboundDomain, await linkSigningKey()) : undefined;
    return {
      to: email.to,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      tags: { case: c.id, template: email.template },
      ...(replyTo ? { replyTo } : {}),
      headers: threadHeaders(c.id, email.key, inboundDomain ?? policy.notifications.from.split('@')[1]!),
    };
  },

  async composeDigest(to, warnings) {
    const rendered = renderWarningDigest({ recipient: to, policy: getPolicy(), warnings });
    // SES tags name one case: the digest's first (soonest) one; the template tag says it is a digest.
    return { to, subject: rendered.subject, text: rendered.text, html: rendered.html, tags: { case: warnings[0]!.case.id, template: 'breach-warning-digest' } };
  },
};

/**
 * Every email of a case names one thread root, `<case-<id>@<domain>>`, in In-Reply-To and References, so mail clients
 * keep the case's emails (and the customer's replies, which quote them) in one conversation. The root is a name, not
 * a sent message: SES replaces any Message-ID with its own, so no sent message can be the root.
 */
export function threadHeaders(caseId: string, emailKey: string, domain: string): Record<string, string> {
  const root = `<case-${caseId}@${domain}>`;
  const own = `<${createHash('sha256').update(emailKey).digest('hex').slice(0, 32)}@${domain}>`;
  return { 'Message-ID': own, 'In-Reply-To': root, References: root };
}

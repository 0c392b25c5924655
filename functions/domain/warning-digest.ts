// Domain: the rule that turns many pre-breach warnings falling together (business hours make them cluster: a
// weekend's cases all reach their warning share soon after Monday's window opens) into one digest per recipient
// rather than a burst. Pure: which warnings share a digest, when it goes out and its idempotency key.
//
// Applied by the reconciler (functions/app/effects.ts, sendWarningDigests): with a digest span in the policy, the
// stream consumer leaves owed warnings for it, and it finds them across every case through the attention index.

export interface OwedWarning {
  caseId: string;
  /** The owed email's key, when the warning is one (a case may owe one recipient two warnings in a span). */
  key?: string;
  to: string;
  /** When the warning fell due (inside the recipient's working hours). */
  at: string;
  level: string;
  /** The deadline the warning is about. */
  dueAt: string;
}

export interface WarningDigest {
  /** Deterministic per (recipient, opening instant): the digest email's idempotency key. */
  key: string;
  to: string;
  /** When to send: the window's close, but never after the earliest deadline in it. */
  sendAt: string;
  /** Soonest deadline first. */
  warnings: OwedWarning[];
}

/**
 * Group warnings per recipient: a digest opens with a recipient's earliest pending warning and takes every warning
 * to them that falls due within `windowMs` of it; it is sent when the window closes (or at its earliest deadline if
 * that comes first), so a warning waits at most `windowMs` for company and goes out alone if none comes.
 */
export function planWarningDigests(warnings: readonly OwedWarning[], windowMs: number): WarningDigest[] {
  const byRecipient = new Map<string, OwedWarning[]>();
  for (const w of warnings) {
    const to = w.to.toLowerCase();
    byRecipient.set(to, [...(byRecipient.get(to) ?? []), w]);
  }
  const out: WarningDigest[] = [];
  for (const [to, list] of [...byRecipient].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...list].sort((a, b) => a.at.localeCompare(b.at) || a.caseId.localeCompare(b.caseId));
    let i = 0;
    while (i < sorted.length) {
      const opens = Date.parse(sorted[i]!.at);
      const group: OwedWarning[] = [];
      while (i < sorted.length && Date.parse(sorted[i]!.at) < opens + windowMs) group.push(sorted[i++]!);
      group.sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.caseId.localeCompare(b.caseId));
      const sendAt = Math.min(opens + windowMs, Date.parse(group[0]!.dueAt));
      out.push({ key: `digest/${to}/${new Date(opens).toISOString()}`, to, sendAt: new Date(sendAt).toISOString(), warnings: group });
    }
  }
  return out.sort((a, b) => a.sendAt.localeCompare(b.sendAt) || a.to.localeCompare(b.to));
}

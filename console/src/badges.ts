// The flags a case carries, as words (not colour alone): at risk, breached, overdue, paused.
import { h } from './dom.ts';
import type { CaseView } from './types.ts';

export function flags(c: CaseView): HTMLElement {
  const list = [
    c.sla.overdue && ['overdue', 'Overdue'],
    c.sla.breached && ['breached', 'Breached'],
    c.atRisk && !c.sla.breached && !c.sla.overdue && ['risk', 'At risk'],
    c.status === 'PAUSED' && ['paused', 'Paused'],
  ].filter((x): x is [string, string] => !!x);
  return h('span', { class: 'flags' }, ...list.map(([cls, text]) => h('span', { class: `badge ${cls}` }, text)));
}

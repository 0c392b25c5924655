// The policy file loader: holidays from an iCalendar file next to the policy are merged into the calendar, so the
// document every function is built with carries the dates themselves; a missing or broken file stops start-up.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicy, PolicyFileError } from '../../lib/policy-file.ts';

function policyWith(holidaysFile: string, ics?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'escalator-ics-'));
  if (ics !== undefined) writeFileSync(join(dir, 'holidays.ics'), ics);
  const doc = loadPolicy('policies/default.json').document as Record<string, unknown>;
  const file = join(dir, 'policy.json');
  writeFileSync(
    file,
    JSON.stringify({ ...doc, calendars: { office: { timeZone: 'Europe/Berlin', week: { mon: ['09:00-17:00'] }, holidays: ['2026-12-31'], holidaysFile } }, calendar: 'office' }),
  );
  return file;
}

describe('holidaysFile', () => {
  it('merges the iCalendar holidays into the calendar, relative to the policy file', () => {
    const ics = 'BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261224\nDTEND;VALUE=DATE:20261226\nEND:VEVENT\nEND:VCALENDAR\n';
    const { policy, document } = loadPolicy(policyWith('holidays.ics', ics));
    expect(policy.calendars['office']!.holidays).toEqual(['2026-12-24', '2026-12-25', '2026-12-31']);
    expect(JSON.stringify(document)).not.toContain('holidaysFile');
  });

  it('the shipped office-hours policy reads its Berlin holidays file', () => {
    expect(loadPolicy('policies/office-hours.json').policy.calendars['berlin-office']!.holidays).toContain('2026-04-03');
  });

  it('a missing or broken file is a one-line start-up error naming the calendar', () => {
    expect(() => loadPolicy(policyWith('nope.ics'))).toThrow(/calendars\.office\.holidaysFile .*nope\.ics cannot be read/);
    expect(() => loadPolicy(policyWith('holidays.ics', 'not ics'))).toThrow(PolicyFileError);
  });
});

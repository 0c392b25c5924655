// The escalation policy file, read and validated the same way for `cdk synth`/deploy and for the local stack.
// No CDK imports here: the local stack loads it on every start, also when the synthesized template is cached.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { holidaysFromICalendar } from '../functions/domain/icalendar.ts';
import { parsePolicy, type Policy } from '../functions/domain/policy.ts';
import { REPO_ROOT } from './paths.ts';

export const DEFAULT_POLICY_PATH = 'policies/default.json';

/** A policy file that cannot be read or is not a valid policy; the message is one line. */
export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
}

export interface LoadedPolicy {
  path: string;
  document: unknown;
  policy: Policy;
}

export function loadPolicy(policyPath?: string): LoadedPolicy {
  const given = policyPath ?? process.env['ESCALATOR_POLICY'] ?? DEFAULT_POLICY_PATH;
  const candidates = path.isAbsolute(given) ? [given] : [path.resolve(process.cwd(), given), path.resolve(REPO_ROOT, given)];
  const file = candidates.find((c) => fs.existsSync(c));
  if (!file) throw new PolicyFileError(`policy file ${given} not found (looked in ${[...new Set(candidates)].join(', ')})`);
  let document: unknown;
  try {
    document = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PolicyFileError(`policy file ${file} is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    document = withICalendarHolidays(document, file);
    return { path: file, document, policy: parsePolicy(document, file) };
  } catch (e) {
    throw new PolicyFileError((e as Error).message.replace(/\s*\n\s*/g, ' '));
  }
}

/**
 * A calendar may take holidays from an iCalendar file (`holidaysFile`, relative to the policy file). They are read
 * here, once, and merged into `holidays`: the document every function is built with (and every case pins) then
 * carries the dates themselves, so a deployed function never reads a file and a changed file makes a new version.
 */
function withICalendarHolidays(document: unknown, policyFile: string): unknown {
  const calendars = (document as { calendars?: unknown } | null)?.calendars;
  if (!calendars || typeof calendars !== 'object') return document;
  const resolved: Record<string, unknown> = {};
  for (const [name, cal] of Object.entries(calendars as Record<string, unknown>)) {
    const { holidaysFile, ...rest } = (cal ?? {}) as { holidaysFile?: unknown; holidays?: unknown };
    if (holidaysFile === undefined) {
      resolved[name] = cal;
      continue;
    }
    if (typeof holidaysFile !== 'string') throw new PolicyFileError(`${policyFile}: calendars.${name}.holidaysFile must be a path to an iCalendar (.ics) file`);
    const icsPath = path.resolve(path.dirname(policyFile), holidaysFile);
    let text: string;
    try {
      text = fs.readFileSync(icsPath, 'utf8');
    } catch {
      throw new PolicyFileError(`${policyFile}: calendars.${name}.holidaysFile ${icsPath} cannot be read`);
    }
    let fromFile: string[];
    try {
      fromFile = holidaysFromICalendar(text, icsPath);
    } catch (e) {
      throw new PolicyFileError(`${policyFile}: calendars.${name}.holidaysFile: ${(e as Error).message}`);
    }
    const own = Array.isArray(rest.holidays) ? (rest.holidays as string[]) : [];
    resolved[name] = { ...rest, holidays: [...new Set([...own, ...fromFile])].sort() };
  }
  return { ...(document as object), calendars: resolved };
}

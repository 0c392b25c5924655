// The API's shapes the console reads, taken from the API's own schemas (type-only: nothing of it is bundled).
import type { CaseView } from '../../functions/http/views.ts';
import type { TimelineEvent } from '../../functions/domain/model.ts';
import type { QuarantinedMailView } from '../../functions/http/views.ts';
import type * as z from 'zod';

export type { CaseView, TimelineEvent };

/** An inbound message kept aside (GET /inbound/quarantine). */
export type QuarantinedMail = z.output<typeof QuarantinedMailView>;

export interface QuarantinePage {
  items: QuarantinedMail[];
  nextCursor: string | null;
}

export interface CasePage {
  items: CaseView[];
  nextCursor: string | null;
}

export interface Metrics {
  open: { total: number; byLevel: Record<string, number>; byDepartment: Record<string, number> };
}

export interface Execution {
  name: string;
  timerVersion: number;
  current: boolean;
  status: string;
  startDate?: string;
  stopDate?: string;
  endReason: string | null;
  consoleUrl?: string;
}

export interface HistoryEntry {
  id: number;
  type: string;
  timestamp?: string;
  state?: string;
  meaning?: string;
  applied?: { id: string; type: string; at: string; summary?: string }[];
}

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
}

export interface Workflow {
  caseId: string;
  timerVersion: number;
  timerPending: boolean;
  currentState: string | null;
  nextWakeUp: string | null;
  nextWakeUpPurpose: 'warning' | 'escalation' | 'breach' | 'close-by' | 'follow-up' | null;
  definition: { StartAt: string; States: Record<string, AslState> } | null;
  executions: Execution[];
  history: HistoryEntry[];
}

export interface CustomerHistory {
  cases: { id: string; subject: string; status: string; createdAt: string; breached: boolean; rating: number | null }[];
  truncated: boolean;
  counts: { total: number; open: number; reopened: number; breached: number; rated: number; averageRating: number | null };
}

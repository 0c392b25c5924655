// Times as ops read them: "in 4m 05s" / "12s overdue", and instants in the reader's local time.

export function countdown(at: string | null | undefined, now = Date.now()): string {
  if (!at) return '—';
  const ms = Date.parse(at) - now;
  const text = span(Math.abs(ms));
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** 3d 4h · 4h 05m · 4m 05s · 12s */
export function span(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const hh = Math.floor((s % 86_400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${hh}h`;
  if (hh > 0) return `${hh}h ${pad(mm)}m`;
  if (mm > 0) return `${mm}m ${pad(ss)}s`;
  return `${ss}s`;
}

export function when(at: string | null | undefined): string {
  if (!at) return '—';
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Elements marked data-due="<ISO>" show a live countdown; one ticker for the whole page. */
export function tickCountdowns(root: ParentNode = document): void {
  const now = Date.now();
  for (const el of root.querySelectorAll<HTMLElement>('[data-due]')) {
    const at = el.dataset['due']!;
    el.textContent = countdown(at, now);
    el.classList.toggle('past', Date.parse(at) <= now);
  }
}

// Local stack: the functions write the same structured lines as on Lambda (Powertools JSON, EMF documents). When a
// person watches (stdout is a terminal) each line is shown as one readable line instead; piped or redirected,
// stdout stays exactly what CloudWatch would receive.
const LAMBDA_CONTEXT = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate', 'cold_start', 'function_arn', 'function_memory_size', 'function_request_id', 'function_name', 'xray_trace_id']);

const COLOURS: Record<string, string> = { DEBUG: '\x1b[90m', INFO: '\x1b[36m', WARN: '\x1b[33m', ERROR: '\x1b[31m', CRITICAL: '\x1b[31m', METRIC: '\x1b[35m' };
const RESET = '\x1b[0m';

/** One readable line for a structured entry, or undefined when the text is not one. */
export function prettyLine(text: string, colour = true): string | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!entry || typeof entry !== 'object') return undefined;
  const paint = (level: string, s: string) => (colour ? `${COLOURS[level] ?? ''}${s}${RESET}` : s);
  const aws = entry['_aws'] as { Timestamp: number; CloudWatchMetrics: { Metrics: { Name: string }[]; Dimensions: string[][] }[] } | undefined;
  if (aws) {
    const time = new Date(aws.Timestamp).toISOString().slice(11, 23);
    const parts = aws.CloudWatchMetrics.flatMap((m) => {
      const dims = m.Dimensions.flat().filter((d) => d !== 'service').map((d) => `${d}=${String(entry[d])}`);
      return m.Metrics.map((x) => `${x.Name}=${JSON.stringify(entry[x.Name])}${dims.length ? ` (${dims.join(', ')})` : ''}`);
    });
    return `${time} ${paint('METRIC', 'METRIC')} ${parts.join(' ')}${entry['caseId'] ? ` caseId=${String(entry['caseId'])}` : ''}`;
  }
  if (typeof entry['level'] !== 'string' || typeof entry['message'] !== 'string') return undefined;
  const level = entry['level'];
  const time = typeof entry['timestamp'] === 'string' ? entry['timestamp'].slice(11, 23) : '';
  const fn = entry['function_name'] ? ` [${String(entry['function_name'])}]` : '';
  const rest = Object.entries(entry)
    .filter(([k]) => !LAMBDA_CONTEXT.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${time} ${paint(level, level.padEnd(5))}${fn} ${entry['message']}${rest.length ? `  ${rest.join(' ')}` : ''}`;
}

/**
 * When stdout is a terminal, show structured lines readably (everything else passes through untouched). A metric
 * line the same as one shown in the last `quietRepeatsMs` is not shown again: the reconciler reports its lag every
 * 5 s locally, which would otherwise scroll the requests a person is watching out of sight.
 */
export function prettyLogsWhenWatched(stream: NodeJS.WriteStream = process.stdout, opts: { quietRepeatsMs?: number; now?: () => number } = {}): void {
  if (!stream.isTTY) return;
  const quietFor = opts.quietRepeatsMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const metricShownAt = new Map<string, number>();
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
    const pretty = text && text.trimStart().startsWith('{') ? prettyLine(text.trim(), true) : undefined;
    if (pretty === undefined) return write(chunk, ...rest);
    const metric = /^\S+ \S*METRIC\S* (.*)$/.exec(pretty)?.[1];
    if (metric !== undefined) {
      const at = now();
      const shown = metricShownAt.get(metric);
      if (shown !== undefined && at - shown < quietFor) return true;
      metricShownAt.set(metric, at);
      if (metricShownAt.size > 1000) metricShownAt.clear(); // bounded: each case's metrics differ
    }
    return write(`${pretty}\n`, ...rest);
  }) as typeof stream.write;
}

// Where this console signs in and which API it talks to: config.json next to index.html, written by the local
// gateway for the local stack and by the CDK deployment on AWS (lib/console-hosting.ts).
import type { ConsoleConfig } from '../headers.ts';

let config: Promise<ConsoleConfig> | undefined;
export function loadConfig(): Promise<ConsoleConfig> {
  config ??= fetch('/console/config.json', { cache: 'no-store' }).then((r) => {
    if (!r.ok) throw new Error(`config.json: HTTP ${r.status}`);
    return r.json() as Promise<ConsoleConfig>;
  });
  return config;
}

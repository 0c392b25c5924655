// Builds the ops console (Vite) into console/dist when it is missing or older than its sources: `npm start` and
// the browser test call this, CI builds it too. The output is not in git; a hash of the sources marks what it is.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CONSOLE_ROOT = resolve(import.meta.dirname);
export const CONSOLE_DIST = join(CONSOLE_ROOT, 'dist');
const STAMP = join(CONSOLE_DIST, '.source-hash');

function sourceHash(): string {
  const hash = createHash('sha256');
  const files = [
    ...readdirSync(join(CONSOLE_ROOT, 'src'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)),
    join(CONSOLE_ROOT, 'index.html'),
    join(CONSOLE_ROOT, 'vite.config.ts'),
    join(CONSOLE_ROOT, 'headers.ts'),
  ].sort();
  for (const f of files) hash.update(f.slice(CONSOLE_ROOT.length)).update(readFileSync(f));
  return hash.digest('hex').slice(0, 16);
}

/** Build unless dist/ already holds a build of these sources. Returns whether it built. */
export async function ensureConsoleBuilt(log: (line: string) => void = () => undefined): Promise<boolean> {
  const want = sourceHash();
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === want && existsSync(join(CONSOLE_DIST, 'index.html'))) return false;
  log('escalator: building the ops console (vite)…');
  const { build } = await import('vite');
  await build({ configFile: join(CONSOLE_ROOT, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(STAMP, want);
  return true;
}

// `node --import tsx console/build.ts`: build now (CI).
if (import.meta.url === `file://${process.argv[1]}`) {
  await ensureConsoleBuilt(console.error);
}

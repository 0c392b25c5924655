// Runs before `npm start` and `npm test`: on a fresh clone (or after the lockfile changed) install exactly what the
// lockfile says, so the README's two commands are all a newcomer needs. Plain JS: it must run before tsx exists.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const installed = 'node_modules/.package-lock.json';
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  console.error('escalator: installing dependencies from package-lock.json (npm ci)…');
  execSync('npm ci --no-audit --no-fund --loglevel=error', { stdio: 'inherit' });
}

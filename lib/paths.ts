// Infrastructure: where the repository is, whatever the working directory (the CDK CLI, vitest, the local stack).
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in <root>/lib). Handler files in the route table are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

// Prints the OpenAPI document the API serves, for a policy file (ESCALATOR_POLICY or --policy FILE, else the
// default), so it can be linted or read without starting the stack: `node --import tsx scripts/openapi.ts > openapi.json`.
import { buildOpenApiDocument } from '../functions/http/openapi.ts';
import { loadPolicy } from '../lib/policy-file.ts';

const i = process.argv.indexOf('--policy');
const { policy } = loadPolicy(i > 0 ? process.argv[i + 1] : undefined);
process.stdout.write(`${JSON.stringify(buildOpenApiDocument(policy), null, 2)}\n`);

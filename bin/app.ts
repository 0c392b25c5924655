// The CDK app (`npx cdk synth|deploy`): everything is in lib/app.ts; a bad policy is one line and exit code 1.
import { createEscalatorApp, PolicyFileError } from '../lib/app.ts';

try {
  createEscalatorApp().app.synth();
} catch (e) {
  if (!(e instanceof PolicyFileError)) throw e;
  console.error(`escalator: ${e.message}`);
  process.exit(1);
}

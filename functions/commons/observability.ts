// Logging and metrics: Powertools, created once per cold start; the service name tags every line.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({
  serviceName: 'escalator',
  logLevel: (process.env['LOG_LEVEL'] as 'INFO' | 'DEBUG' | 'WARN' | 'ERROR' | 'SILENT' | undefined) ?? 'INFO',
});

// Logging: Powertools, created once per cold start; the service name tags every line. The level comes from
// POWERTOOLS_LOG_LEVEL (or Lambda's advanced logging controls), so the local stack can keep the console quiet.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'escalator' });

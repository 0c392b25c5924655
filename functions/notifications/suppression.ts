// The suppression list's key: an address that bounced or complained gets no further email. Its own module so the
// bounce handler does not bundle the email sender; the format lives with every other key.
import { keys } from '../adapters/case-table-schema.ts';

export const suppressionKey = keys.suppression;

// The suppression list's key: an address that bounced or complained gets no further email. Its own module so the
// bounce handler does not bundle the email sender.
export const suppressionKey = (address: string) => ({ pk: `SUPPRESS#${address.toLowerCase()}`, sk: 'SUPPRESS' });

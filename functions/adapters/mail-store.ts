// Secondary adapter: where inbound mail lives — raw messages and the attachments kept from them. On AWS an S3 bucket
// (INBOUND_BUCKET: SES's receipt rule writes each raw message under raw/); locally a folder (INBOUND_MAIL_DIR, under
// the stack's data folder) that the local SMTP server writes the same keys into. Keys are relative paths either way.
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { MailStore } from '../app/ports.ts';
import { s3 } from '../commons/clients/s3.ts';

/** The receipt rule's object key prefix for raw messages (lib/inbound.ts); the local SMTP server uses it too. */
export const RAW_PREFIX = 'raw/';
export const rawKeyOf = (sesMessageId: string) => `${RAW_PREFIX}${sesMessageId}`;

const bucketStore = (bucket: string): MailStore => ({
  async raw(key) {
    return (await s3().getObject(bucket, key)).body;
  },
  async putAttachment(key, content, type) {
    await s3().putObject(bucket, key, content, type);
    return `s3://${bucket}/${key}`;
  },
});

const folderStore = (dir: string): MailStore => {
  const root = resolve(dir);
  // Keys come from us, but a path must never leave the folder whatever a file name says.
  const pathOf = (key: string) => {
    const p = resolve(root, key);
    if (!p.startsWith(root + sep)) throw new Error(`mail store key ${key} leaves ${root}`);
    return p;
  };
  return {
    raw: (key) => readFile(pathOf(key)),
    async putAttachment(key, content) {
      const p = pathOf(key);
      await mkdir(dirname(p), { recursive: true });
      const tmp = `${p}.${process.pid}.tmp`;
      await writeFile(tmp, content);
      await rename(tmp, p);
      return join(dir, key);
    },
  };
};

/** Chosen per call from the environment, as every adapter's endpoint is. */
export const mailStore: MailStore = {
  raw: (key) => current().raw(key),
  putAttachment: (key, content, type) => current().putAttachment(key, content, type),
};

function current(): MailStore {
  const bucket = process.env['INBOUND_BUCKET'];
  if (bucket) return bucketStore(bucket);
  const dir = process.env['INBOUND_MAIL_DIR'];
  if (dir) return folderStore(dir);
  throw new Error('environment variable INBOUND_BUCKET (AWS) or INBOUND_MAIL_DIR (local) is required');
}

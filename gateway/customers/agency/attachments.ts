import { GatewayError } from '../../platform/index.js';
import './errors.js';

/**
 * Attachments of claims and requests: PDF, PNG or JPEG only, recognised by their first bytes (the
 * name and the declared type are not trusted: an HTML or SVG page renamed `.pdf` is refused), at most
 * MAX_ATTACHMENT_MB each and MAX_ATTACHMENTS per case. They are served back only as downloads
 * (Content-Disposition: attachment, X-Content-Type-Options: nosniff), never rendered as HTML.
 */
export const MAX_ATTACHMENT_MB = 10;
export const MAX_ATTACHMENT_BYTES = MAX_ATTACHMENT_MB * 1024 * 1024;
export const MAX_ATTACHMENTS = 5;

const SIGNATURES: { type: string; ext: string; magic: number[] }[] = [
  { type: 'application/pdf', ext: 'pdf', magic: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // "%PDF-" (ISO 32000-1 §7.5.2)
  { type: 'image/png', ext: 'png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] }, // PNG spec §5.2
  { type: 'image/jpeg', ext: 'jpg', magic: [0xff, 0xd8, 0xff] }, // JPEG SOI marker (ITU T.81 B.1.1.2)
];

export interface CheckedAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** Validates one uploaded file; throws BAD_ATTACHMENT (type) or ATTACHMENT_TOO_LARGE. */
export function checkAttachment(filename: string | undefined, content: Buffer): CheckedAttachment {
  if (content.length > MAX_ATTACHMENT_BYTES)
    throw new GatewayError('MG_ERR_AGENCY_ATTACHMENT_TOO_LARGE', { params: { max: MAX_ATTACHMENT_MB } });
  if (!content.length)
    throw new GatewayError('MG_ERR_AGENCY_BAD_ATTACHMENT', { params: { reason: 'empty' } });
  const sig = SIGNATURES.find((s) => s.magic.every((b, i) => content[i] === b));
  if (!sig) throw new GatewayError('MG_ERR_AGENCY_BAD_ATTACHMENT', { params: { reason: filename ?? '?' } });
  // A safe stored name: the original's letters and digits, with the extension of the detected type.
  const base = (filename ?? 'piece')
    .replace(/\.[^.]*$/, '')
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .slice(0, 60);
  return { filename: `${base || 'piece'}.${sig.ext}`, contentType: sig.type, content };
}

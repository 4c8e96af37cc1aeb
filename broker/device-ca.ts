import { generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { mkdir, readFile, stat, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { isValidId } from '../protocol/index.js';
import { BrokerError } from './errors.js';
import { isRole, type Role } from './identity.js';

/**
 * The project's own device CA (node-forge X.509, RFC 5280). Layout of a CA directory:
 *   ca.key.pem (0600, never printed)  ca.cert.pem  revoked.json  issued/{role}-{id}.{cert,key}.pem
 *   server.cert.pem / server.key.pem for the broker's TLS listener.
 * A device certificate names the device in the subject CN and its role in the OU; a SAN URI
 * `urn:metergate:{role}:{id}` carries the same for tools that look only at SANs.
 * node-forge cannot write CRLs, so revocation is a list of serials (revoked.json) the broker checks
 * on every TLS connect.
 */
export const CA_FILES = {
  key: 'ca.key.pem',
  cert: 'ca.cert.pem',
  revoked: 'revoked.json',
  serverCert: 'server.cert.pem',
  serverKey: 'server.key.pem',
  issued: 'issued',
} as const;

const KEY_BITS = 2048;
const DAY_MS = 86_400_000;
const generateKeyPairAsync = promisify(generateKeyPair);

export type DeviceRole = Role;

async function newKeyPair(): Promise<{
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
}> {
  // node:crypto generates the key natively (forge's pure-JS generator takes seconds); forge signs.
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: KEY_BITS,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

/** RFC 5280 §4.1.2.2: positive, at most 20 octets, unique per CA. */
function newSerial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
}

async function writeSecret(file: string, data: string): Promise<void> {
  // Write to a temp name with 0600 and rename, so the key is never briefly world-readable.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, file);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export interface InitCaOptions {
  dir: string;
  commonName?: string;
  days?: number;
  /** Host names / IPs of the broker's own TLS certificate, issued alongside. */
  serverHosts?: string[];
}

export async function initCa(opts: InitCaOptions): Promise<{ certFile: string; keyFile: string }> {
  const keyFile = path.join(opts.dir, CA_FILES.key);
  const certFile = path.join(opts.dir, CA_FILES.cert);
  if (await exists(keyFile)) {
    throw new BrokerError('MG_ERR_BROKER_CA', `${keyFile} exists; refusing to overwrite a CA key`);
  }
  await mkdir(path.join(opts.dir, CA_FILES.issued), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = await newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = newSerial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + (opts.days ?? 3650) * DAY_MS);
  const attrs = [
    { name: 'commonName', value: opts.commonName ?? 'metergate device CA' },
    { name: 'organizationName', value: 'metergate' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true, pathLenConstraint: 0 },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  await writeSecret(keyFile, forge.pki.privateKeyToPem(privateKey));
  await writeFile(certFile, forge.pki.certificateToPem(cert));
  if (!(await exists(path.join(opts.dir, CA_FILES.revoked)))) {
    await writeFile(path.join(opts.dir, CA_FILES.revoked), '[]\n');
  }
  await issueServerCertificate({
    dir: opts.dir,
    hosts: opts.serverHosts ?? ['localhost', '127.0.0.1', '::1'],
  });
  return { certFile, keyFile };
}

async function loadCa(dir: string): Promise<{ key: forge.pki.rsa.PrivateKey; cert: forge.pki.Certificate }> {
  try {
    const [keyPem, certPem] = await Promise.all([
      readFile(path.join(dir, CA_FILES.key), 'utf8'),
      readFile(path.join(dir, CA_FILES.cert), 'utf8'),
    ]);
    return {
      key: forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey,
      cert: forge.pki.certificateFromPem(certPem),
    };
  } catch (err) {
    throw new BrokerError(
      'MG_ERR_BROKER_CA',
      `cannot load the CA in ${dir} (run metergate ca init): ${(err as Error).message}`,
    );
  }
}

interface SignOptions {
  dir: string;
  subject: forge.pki.CertificateField[];
  altNames: Array<{ type: number; value?: string; ip?: string }>;
  extKeyUsage: { serverAuth?: boolean; clientAuth?: boolean };
  days?: number;
  /** For tests and key rollover drills: explicit validity. */
  notBefore?: Date;
  notAfter?: Date;
}

async function sign(opts: SignOptions): Promise<{ certPem: string; keyPem: string; serial: string }> {
  const ca = await loadCa(opts.dir);
  const { privateKey, publicKey } = await newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = newSerial();
  cert.validity.notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  cert.validity.notAfter = opts.notAfter ?? new Date(Date.now() + (opts.days ?? 365) * DAY_MS);
  cert.setSubject(opts.subject);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', ...opts.extKeyUsage },
    { name: 'subjectAltName', altNames: opts.altNames },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(privateKey),
    serial: cert.serialNumber,
  };
}

export interface IssueDeviceOptions {
  dir: string;
  role: DeviceRole;
  id: string;
  days?: number;
  notBefore?: Date;
  notAfter?: Date;
  /** Where to write the pair; default `{dir}/issued`. */
  outDir?: string;
}

export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
  serial: string;
  notAfter: Date;
}

export async function issueDeviceCertificate(opts: IssueDeviceOptions): Promise<IssuedCertificate> {
  if (!isRole(opts.role)) throw new BrokerError('MG_ERR_BROKER_CA', `unknown role ${String(opts.role)}`);
  if (!isValidId(opts.id))
    throw new BrokerError('MG_ERR_BROKER_CA', `id ${JSON.stringify(opts.id)} is not a valid device id`);
  if (opts.days !== undefined && !(Number.isInteger(opts.days) && opts.days > 0 && opts.days <= 3650)) {
    throw new BrokerError('MG_ERR_BROKER_CA', '--days must be an integer between 1 and 3650');
  }
  const { certPem, keyPem, serial } = await sign({
    dir: opts.dir,
    subject: [
      { name: 'commonName', value: opts.id },
      { name: 'organizationalUnitName', value: opts.role },
      { name: 'organizationName', value: 'metergate' },
    ],
    altNames: [{ type: 6, value: `urn:metergate:${opts.role}:${opts.id}` }],
    extKeyUsage: { clientAuth: true },
    ...(opts.days !== undefined ? { days: opts.days } : {}),
    ...(opts.notBefore ? { notBefore: opts.notBefore } : {}),
    ...(opts.notAfter ? { notAfter: opts.notAfter } : {}),
  });
  const outDir = opts.outDir ?? path.join(opts.dir, CA_FILES.issued);
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const base = path.join(outDir, `${opts.role}-${opts.id}`);
  await writeFile(`${base}.cert.pem`, certPem);
  await writeSecret(`${base}.key.pem`, keyPem);
  return {
    certFile: `${base}.cert.pem`,
    keyFile: `${base}.key.pem`,
    serial,
    notAfter: new Date(new X509Certificate(certPem).validTo),
  };
}

export async function issueServerCertificate(opts: {
  dir: string;
  hosts: string[];
  days?: number;
}): Promise<IssuedCertificate> {
  const ipRe = /^[\d.]+$|:/;
  const { certPem, keyPem, serial } = await sign({
    dir: opts.dir,
    subject: [
      { name: 'commonName', value: opts.hosts[0] ?? 'localhost' },
      { name: 'organizationName', value: 'metergate' },
    ],
    // RFC 5280 §4.2.1.6: dNSName is type 2, iPAddress type 7.
    altNames: opts.hosts.map((h) => (ipRe.test(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    extKeyUsage: { serverAuth: true },
    days: opts.days ?? 825,
  });
  const certFile = path.join(opts.dir, CA_FILES.serverCert);
  const keyFile = path.join(opts.dir, CA_FILES.serverKey);
  await writeFile(certFile, certPem);
  await writeSecret(keyFile, keyPem);
  return { certFile, keyFile, serial, notAfter: new Date(new X509Certificate(certPem).validTo) };
}

/** Normalise a serial as Node and forge print it: lower-case hex without leading zeros or colons. */
export function normaliseSerial(serial: string): string {
  return serial
    .replace(/[:\s]/g, '')
    .toLowerCase()
    .replace(/^0+(?=.)/, '');
}

export async function readRevoked(dir: string): Promise<string[]> {
  const file = path.join(dir, CA_FILES.revoked);
  if (!(await exists(file))) return [];
  const doc = JSON.parse(await readFile(file, 'utf8')) as unknown;
  if (!Array.isArray(doc) || !doc.every((s) => typeof s === 'string')) {
    throw new BrokerError('MG_ERR_BROKER_CA', `${file} must be a JSON list of serial numbers`);
  }
  return doc.map(normaliseSerial);
}

/** Revoke by serial or by certificate file; returns the serial. Idempotent. */
export async function revokeCertificate(opts: {
  dir: string;
  serial?: string;
  certFile?: string;
}): Promise<string> {
  let serial = opts.serial;
  if (opts.certFile) serial = new X509Certificate(await readFile(opts.certFile)).serialNumber;
  if (!serial || !/^[0-9a-fA-F:]+$/.test(serial)) {
    throw new BrokerError('MG_ERR_BROKER_CA', 'revoke needs --serial HEX or --cert FILE');
  }
  const list = await readRevoked(opts.dir);
  const s = normaliseSerial(serial);
  if (!list.includes(s)) list.push(s);
  const file = path.join(opts.dir, CA_FILES.revoked);
  await writeFile(`${file}.tmp`, `${JSON.stringify(list, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return s;
}

/** Revoked serials, re-read whenever the file's mtime or size changes (one stat per TLS connect). */
export class RevocationList {
  private serials = new Set<string>();
  private version = '';
  constructor(private readonly file: string) {}

  async isRevoked(serial: string): Promise<boolean> {
    const st = await stat(this.file).catch(() => undefined);
    const version = st ? `${st.mtimeMs}:${st.size}` : 'absent';
    if (version !== this.version) {
      this.serials = new Set(st ? await readRevoked(path.dirname(this.file)) : []);
      this.version = version;
    }
    return this.serials.has(normaliseSerial(serial));
  }
}

/** Identity in a verified client certificate: CN = id, OU = role. */
export function identityFromCertificate(
  cert: PeerCertificate,
): { ok: true; role: Role; id: string; serial: string } | { ok: false; reason: string } {
  const cn = cert.subject?.CN;
  const ou = cert.subject?.OU;
  const id = Array.isArray(cn) ? cn[0] : cn;
  const role = Array.isArray(ou) ? ou[0] : ou;
  if (!isValidId(id)) return { ok: false, reason: 'certificate CN is not a device id' };
  if (!isRole(role)) return { ok: false, reason: 'certificate OU is not a metergate role' };
  return { ok: true, role, id, serial: cert.serialNumber };
}

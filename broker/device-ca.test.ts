import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CA_FILES,
  identityFromCertificate,
  initCa,
  issueDeviceCertificate,
  normaliseSerial,
  readRevoked,
  revokeCertificate,
  RevocationList,
} from './device-ca.js';

let dir: string;
let caDir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mg-ca-'));
  caDir = path.join(dir, 'ca');
  await initCa({ dir: caDir });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('device CA', () => {
  it('writes the CA key with mode 0600 and refuses to overwrite it', async () => {
    expect((await stat(path.join(caDir, CA_FILES.key))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(caDir, CA_FILES.serverKey))).mode & 0o777).toBe(0o600);
    await expect(initCa({ dir: caDir })).rejects.toThrow(/refusing to overwrite/);
  });

  it('issues a client certificate that OpenSSL (node:crypto) verifies against the CA, with CN/OU/SAN identity', async () => {
    const issued = await issueDeviceCertificate({ dir: caDir, role: 'edge', id: 'edge-42', days: 30 });
    expect((await stat(issued.keyFile)).mode & 0o777).toBe(0o600);
    const ca = new X509Certificate(await readFile(path.join(caDir, CA_FILES.cert)));
    const cert = new X509Certificate(await readFile(issued.certFile));
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toContain('CN=edge-42');
    expect(cert.subject).toContain('OU=edge');
    expect(cert.subjectAltName).toContain('URI:urn:metergate:edge:edge-42');
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // id-kp-clientAuth, RFC 5280 §4.2.1.12
    const days = (new Date(cert.validTo).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
    expect(normaliseSerial(cert.serialNumber)).toBe(normaliseSerial(issued.serial));
  });

  it('rejects bad ids and validity', async () => {
    await expect(issueDeviceCertificate({ dir: caDir, role: 'edge', id: 'a/b' })).rejects.toThrow(
      /valid device id/,
    );
    await expect(issueDeviceCertificate({ dir: caDir, role: 'edge', id: 'e', days: 0 })).rejects.toThrow(
      /--days/,
    );
    await expect(
      issueDeviceCertificate({ dir: path.join(dir, 'nope'), role: 'edge', id: 'e' }),
    ).rejects.toThrow(/ca init/);
  });

  it('revokes by certificate file and by serial, idempotently, and RevocationList sees changes', async () => {
    const a = await issueDeviceCertificate({
      dir: caDir,
      role: 'meter',
      id: 'M-1',
      outDir: path.join(dir, 'a'),
    });
    const list = new RevocationList(path.join(caDir, CA_FILES.revoked));
    expect(await list.isRevoked(a.serial)).toBe(false);
    await revokeCertificate({ dir: caDir, certFile: a.certFile });
    await revokeCertificate({ dir: caDir, serial: a.serial.toUpperCase() });
    expect(await readRevoked(caDir)).toEqual([normaliseSerial(a.serial)]);
    expect(await list.isRevoked(a.serial)).toBe(true);
    await expect(revokeCertificate({ dir: caDir })).rejects.toThrow(/--serial/);
  });

  it('reads identity from a peer certificate subject and refuses unknown roles', () => {
    const base = { serialNumber: 'AB' } as never as Parameters<typeof identityFromCertificate>[0];
    expect(identityFromCertificate({ ...base, subject: { CN: 'M-1', OU: 'meter' } } as never)).toEqual({
      ok: true,
      role: 'meter',
      id: 'M-1',
      serial: 'AB',
    });
    expect(identityFromCertificate({ ...base, subject: { CN: 'M-1', OU: 'root' } } as never).ok).toBe(false);
    expect(identityFromCertificate({ ...base, subject: { CN: 'a b', OU: 'edge' } } as never).ok).toBe(false);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCredentialStore, parseCredentials } from './credential-store.js';
import { credentialStoreConformance } from './credential-store-conformance.js';
import { hashPassword, parsePasswordHash, verifyPassword } from './password-hash.js';

describe('scrypt password hashes', () => {
  it('verifies the right password only and salts every hash', async () => {
    const a = await hashPassword('s3cret', 10);
    const b = await hashPassword('s3cret', 10);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$10\$8\$1\$/);
    expect(await verifyPassword('s3cret', a)).toBe(true);
    expect(await verifyPassword('s3cret!', a)).toBe(false);
    expect(await verifyPassword(Buffer.from('s3cret'), b)).toBe(true);
  });
  it('matches an independent scrypt vector (RFC 7914 §12, N=16 r=1 p=1, empty password and salt prefix)', async () => {
    // RFC 7914 §12 first vector: scrypt(P="", S="", N=16, r=1, p=1, dkLen=64). Our format needs a
    // non-empty salt, so check the second vector: P="password", S="NaCl", N=1024, r=8, p=16.
    const key = Buffer.from(
      'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
      'hex',
    );
    const stored = `scrypt$10$8$16$${Buffer.from('NaCl').toString('base64')}$${key.toString('base64')}`;
    // The salt is shorter than our 8-byte minimum, so parse refuses it; verify the primitive directly.
    expect(parsePasswordHash(stored).ok).toBe(false);
    const { scryptSync } = await import('node:crypto');
    expect(scryptSync('password', 'NaCl', 64, { N: 1024, r: 8, p: 16 }).equals(key)).toBe(true);
  });
  it('rejects malformed and too-costly hashes without throwing', async () => {
    for (const h of [
      '',
      'plain',
      'scrypt$x$8$1$AAAA$BBBB',
      'scrypt$30$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    ]) {
      expect(await verifyPassword('x', h)).toBe(false);
    }
    expect(parsePasswordHash('scrypt$30$8$1$a$b')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/cost/),
    });
  });
});

describe('credentials file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mg-cred-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('loads YAML and JSON files', async () => {
    const hash = await hashPassword('pw', 10);
    const yml = path.join(dir, 'c.yaml');
    await writeFile(
      yml,
      `users:\n  - username: edge-1\n    role: edge\n    meters: [M-1]\n    password: "${hash}"\n`,
    );
    const s = new FileCredentialStore({ file: yml });
    await s.start();
    expect((await s.lookup('edge-1'))?.meters).toEqual(['M-1']);
    const json = path.join(dir, 'c.json');
    await writeFile(json, JSON.stringify({ users: [{ username: 'gw', role: 'gateway' }] }));
    const j = new FileCredentialStore({ file: json });
    await j.start();
    expect((await j.lookup('gw'))?.role).toBe('gateway');
  });

  it('names every bad entry and never echoes a plain password', () => {
    const bad = {
      users: [
        { username: 'a/b', role: 'edge' },
        { username: 'e', role: 'king' },
        { username: 'm', role: 'meter', password: 'hunter2' },
        { username: 'x', role: 'edge', meters: ['ok', 'not ok'] },
        { username: 'y', role: 'edge', colour: 'red' },
      ],
    };
    let msg = '';
    try {
      parseCredentials(bad, 'f.yaml');
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toContain('f.yaml: /users/0/username');
    expect(msg).toContain('/users/1/role');
    expect(msg).toContain('/users/2/password is not a scrypt hash');
    expect(msg).toContain('/users/3/meters');
    expect(msg).toContain('/users/4/colour');
    expect(msg).not.toContain('hunter2');
  });

  it('fails clearly on a missing file and on invalid YAML', async () => {
    await expect(new FileCredentialStore({ file: path.join(dir, 'none.yaml') }).start()).rejects.toThrow(
      /none\.yaml/,
    );
    const f = path.join(dir, 'bad.yaml');
    await writeFile(f, 'users: [\n');
    await expect(new FileCredentialStore({ file: f }).start()).rejects.toThrow(/not valid YAML/);
  });
});

describe('CredentialStore conformance: FileCredentialStore', () => {
  for (const check of credentialStoreConformance) {
    it(check.name, () => check.run(async (records) => new FileCredentialStore({ records })));
  }
});

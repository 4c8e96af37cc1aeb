import assert from 'node:assert/strict';
import type { CredentialRecord, CredentialStore } from './credential-store.js';
import { hashPassword, verifyPassword } from './password-hash.js';

/**
 * The conformance suite every CredentialStore runs (aedes-persistence style): a list of named
 * checks, each given a factory that builds an unstarted store holding the given records. Test
 * runners wrap each check in their own `it` (see credential-store.test.ts), so this file needs no
 * test framework and a ledger-backed store can run the same checks.
 */
export type CredentialStoreFactory = (records: CredentialRecord[]) => Promise<CredentialStore>;

export interface ConformanceCheck {
  name: string;
  run(factory: CredentialStoreFactory): Promise<void>;
}

async function withStore(
  factory: CredentialStoreFactory,
  records: CredentialRecord[],
  fn: (s: CredentialStore) => Promise<void>,
): Promise<void> {
  const store = await factory(records);
  await store.start();
  try {
    await fn(store);
  } finally {
    await store.stop();
  }
}

export const credentialStoreConformance: ConformanceCheck[] = [
  {
    name: 'looks up a record by username with role and meters intact',
    async run(factory) {
      const passwordHash = await hashPassword('edge-secret', 10);
      const rec: CredentialRecord = {
        username: 'edge-7',
        role: 'edge',
        meters: ['M-1', 'M-2'],
        passwordHash,
      };
      await withStore(factory, [rec], async (s) => {
        const got = await s.lookup('edge-7');
        assert.ok(got, 'record not found');
        assert.equal(got.username, 'edge-7');
        assert.equal(got.role, 'edge');
        assert.deepEqual([...got.meters].sort(), ['M-1', 'M-2']);
        assert.ok(got.passwordHash && (await verifyPassword('edge-secret', got.passwordHash)));
        assert.equal(await verifyPassword('wrong', got.passwordHash!), false);
      });
    },
  },
  {
    name: 'returns undefined for unknown and hostile usernames without throwing',
    async run(factory) {
      await withStore(factory, [{ username: 'gw', role: 'gateway', meters: [] }], async (s) => {
        for (const u of ['nobody', '', '__proto__', 'constructor', "x' OR '1'='1", 'a/b', '\u0000']) {
          assert.equal(await s.lookup(u), undefined, `lookup(${JSON.stringify(u)})`);
        }
      });
    },
  },
  {
    name: 'keeps certificate-only records (no password hash)',
    async run(factory) {
      await withStore(factory, [{ username: 'M-9', role: 'meter', meters: [] }], async (s) => {
        const got = await s.lookup('M-9');
        assert.equal(got?.role, 'meter');
        assert.equal(got?.passwordHash, undefined);
      });
    },
  },
  {
    name: 'usernames are case-sensitive',
    async run(factory) {
      await withStore(factory, [{ username: 'Edge-1', role: 'edge', meters: ['A'] }], async (s) => {
        assert.equal(await s.lookup('edge-1'), undefined);
        assert.equal((await s.lookup('Edge-1'))?.role, 'edge');
      });
    },
  },
];

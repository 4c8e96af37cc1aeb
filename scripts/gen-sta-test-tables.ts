/**
 * Regenerate the TEST STA table fixture and its known answers:
 *   npx tsx scripts/gen-sta-test-tables.ts
 * Writes token-engine/fixtures/sta-test-tables.json (the labelled test set from the fixed seed —
 * never the licensed production tables) and token-engine/fixtures/sta-test-known-answers.jsonl
 * (block encryptions and the EA07 requests of the public vector file vended with the test set).
 * The known answers pin today's behaviour so an accidental change shows up in review.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { generateTestStaTables, tokensForRequest } from '../token-engine/index.js';
import { staEncrypt, staPrepareKey } from '../token-engine/sta.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = path.join(root, 'token-engine/fixtures');
const t = generateTestStaTables();
writeFileSync(
  path.join(fixtures, 'sta-test-tables.json'),
  `${JSON.stringify({ label: t.label, test: true, s1: t.s1, s2: t.s2, p: t.p })}\n`,
);

const lines: string[] = [];
const blocks: Array<[string, string]> = [
  ['0000000000000000', '0000000000000000'],
  ['e653341f9d5bf36f', '0123456789abcdef'],
  ['aa4baa8749c10d27', 'ffffffffffffffff'],
  ['0123456789abcdef', '0559982c00012831'],
];
for (const [key, plain] of blocks) {
  const k = staPrepareKey(t, Uint8Array.from(Buffer.from(key, 'hex')));
  const b = Uint32Array.of(parseInt(plain.slice(0, 8), 16), parseInt(plain.slice(8), 16));
  staEncrypt(k, b);
  const cipher = b[0]!.toString(16).padStart(8, '0') + b[1]!.toString(16).padStart(8, '0');
  lines.push(JSON.stringify({ kind: 'block', decoderKey: key, plain, cipher }));
}
const vectors = readFileSync(path.join(fixtures, 'sts-tokens-public.jsonl'), 'utf8').trim().split('\n');
for (const line of vectors) {
  const req = JSON.parse(line) as { id: string; key: { ea: string } };
  if (req.key.ea !== '07') continue;
  lines.push(
    JSON.stringify({ kind: 'request', id: req.id, tokens: tokensForRequest(req, { staTables: t }) }),
  );
}
writeFileSync(path.join(fixtures, 'sta-test-known-answers.jsonl'), `${lines.join('\n')}\n`);
console.log(`wrote ${lines.length} known answers for ${t.label}`);

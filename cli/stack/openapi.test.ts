import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, createApiKey } from '../../gateway/platform/index.js';
import { startFullGateway } from './test-full-gateway.js';

type Operation = { summary?: string; 'x-roles'?: string[]; responses?: Record<string, unknown> };

let full: Awaited<ReturnType<typeof startFullGateway>>;
let app: FastifyInstance;

beforeAll(async () => {
  full = await startFullGateway();
  app = full.app;
}, 120_000);

afterAll(async () => {
  await full?.stop();
});

describe('OpenAPI of the whole gateway (every feature plugin the CLI wires)', () => {
  it('gives every operation a summary, the roles that may call it and response schemas', () => {
    const doc = (
      app as unknown as { swagger: () => { paths: Record<string, Record<string, Operation>> } }
    ).swagger();
    const problems: string[] = [];
    let count = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        count++;
        const where = `${method.toUpperCase()} ${path}`;
        if (!op.summary?.trim()) problems.push(`${where}: no summary`);
        const roles = op['x-roles'];
        if (!Array.isArray(roles) || roles.length === 0) problems.push(`${where}: no x-roles`);
        else if (roles.some((r) => !['public', ...ROLES].includes(r))) {
          problems.push(`${where}: unknown role in ${roles.join(',')}`);
        }
        const codes = Object.keys(op.responses ?? {});
        if (!codes.some((c) => /^[23]\d\d$|^[23]XX$/i.test(c)))
          problems.push(`${where}: no success response schema`);
        if (!codes.some((c) => /^4/.test(c))) problems.push(`${where}: no error response schema`);
      }
    }
    expect(count).toBeGreaterThan(30);
    expect(problems).toEqual([]);
  });

  it('derives x-roles from the roles the auth plugin enforces', () => {
    const doc = (
      app as unknown as { swagger: () => { paths: Record<string, Record<string, Operation>> } }
    ).swagger();
    expect(doc.paths['/api/health']?.get?.['x-roles']).toEqual(['public']);
    expect(doc.paths['/api/vend']?.post?.['x-roles']).toEqual(expect.arrayContaining(['admin', 'vendor']));
    expect(doc.paths['/api/meters']?.get?.['x-roles']).toEqual(['admin', 'operator', 'customer']);
  });

  it('opens to a meter reader only its reading rounds and the session: 403 on every other route', async () => {
    const doc = (
      app as unknown as { swagger: () => { paths: Record<string, Record<string, Operation>> } }
    ).swagger();
    const READER_ROUTES = [
      'GET /api/session',
      'GET /api/reading-rounds',
      'GET /api/reading-rounds/{id}',
      'POST /api/reading-rounds/{id}/readings',
    ];
    const reader = (await createApiKey(full.gateway.db!, { role: 'reader', readerId: 'releveur-07' })).key;
    const opened: string[] = [];
    const leaks: string[] = [];
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const roles = op['x-roles'] ?? [];
        if (roles.includes('public')) continue;
        const where = `${method.toUpperCase()} ${path}`;
        if (roles.includes('reader')) {
          opened.push(where);
          continue;
        }
        // The role check runs before parameters and bodies are looked at: any value will do.
        const url = path.replace(/\{[^}]+\}/g, 'x1');
        const r = await app.inject({
          method: method.toUpperCase() as 'GET',
          url,
          headers: { 'x-api-key': reader },
        });
        checked++;
        if (r.statusCode !== 403 || r.json().code !== 'MG_ERR_AUTH_FORBIDDEN')
          leaks.push(`${where}: ${r.statusCode}`);
      }
    }
    expect(opened.sort()).toEqual([...READER_ROUTES].sort());
    expect(checked).toBeGreaterThan(30);
    expect(leaks).toEqual([]);
  }, 120_000);
});

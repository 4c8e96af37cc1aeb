import ExcelJS from 'exceljs';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlugin, createApiKey } from '../../platform/index.js';
import { PgliteDatabase, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { ROLLUP_MIGRATIONS, SqlRollupStore } from '../../metering/index.js';
import { exportsPlugin } from './index.js';
import { pdfText } from './testing/pdf-text.js';

let db: SqlDatabase;
let app: FastifyInstance;
let operatorKey: string;
let customerKey: string;
const NOW = new Date('2026-11-20T10:00:00Z');

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  await runMigrations(db, ROLLUP_MIGRATIONS);
  await db.exec('CREATE TABLE IF NOT EXISTS meters (id text PRIMARY KEY, customer_id text)');
  await db.query("INSERT INTO meters VALUES ('M-1', 'C1'), ('M-2', 'C2')");
  const rollups = new SqlRollupStore({ db });
  // 1 kWh per day on M-1 from June to November 2026, with two estimated days; 9 kWh/day on M-2.
  const rows = [];
  for (let d = new Date('2026-06-01T00:00:00Z'); d <= NOW; d.setUTCDate(d.getUTCDate() + 1)) {
    const day = d.toISOString().slice(0, 10);
    rows.push({ meterId: 'M-1', obis: '1-0:1.8.0', day, consumption: 1.5, quality: 'measured' as const });
    rows.push({ meterId: 'M-2', obis: '1-0:1.8.0', day, consumption: 9, quality: 'measured' as const });
  }
  rows.push({
    meterId: 'M-1',
    obis: '1-0:1.8.0',
    day: '2026-07-04',
    consumption: 2,
    quality: 'estimated' as const,
  });
  rows.push({
    meterId: 'M-1',
    obis: '1-0:1.8.0',
    day: '2026-07-05',
    consumption: 2,
    quality: 'customer' as const,
  });
  await rollups.upsertDaily(rows);

  app = Fastify();
  await app.register(authPlugin, { db, rateLimit: false, keyCacheMs: 0 });
  await app.register(exportsPlugin, { rollups, now: () => NOW });
  operatorKey = (await createApiKey(db, { role: 'operator' })).key;
  customerKey = (await createApiKey(db, { role: 'customer', customerId: 'C1' })).key;
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

const get = (url: string, key = operatorKey) =>
  app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });

describe('consumption exports', () => {
  it('CSV in French uses ; and decimal commas, one row per month of the window', async () => {
    const res = await get('/api/meters/M-1/exports/consumption.csv?months=6&lang=fr');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toContain('consumption-M-1-2026-06-2026-11.csv');
    const lines = res.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('Mois;Consommation (kWh);Jours relevés;Jours estimés');
    expect(lines).toHaveLength(7);
    expect(lines[1]).toBe('2026-06;45,000;30;0');
    // July: 29 days at 1.5 plus two non-measured days at 2.
    expect(lines[2]).toBe('2026-07;47,500;31;2');
  });

  it('CSV in English, daily detail with quality', async () => {
    const res = await get('/api/meters/M-1/exports/consumption.csv?months=6&lang=en&detail=daily');
    const lines = res.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('Day,Consumption (kWh),Quality');
    expect(lines).toContain('2026-07-04,2.000,estimated');
    expect(lines).toContain('2026-07-05,2.000,self-reading');
  });

  it('XLSX opens with exceljs: monthly sheet with numbers and a total, daily sheet', async () => {
    const res = await get('/api/meters/M-1/exports/consumption.xlsx?months=6&lang=fr');
    expect(res.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const monthly = wb.getWorksheet('Mensuel')!;
    expect(String(monthly.getCell('A1').value)).toContain('M-1');
    const values: Array<[string, number]> = [];
    monthly.eachRow((row) => {
      const v = row.getCell(2).value;
      if (typeof v === 'number') values.push([String(row.getCell(1).value), v]);
    });
    expect(values).toHaveLength(6);
    expect(values[0]).toEqual(['juin 2026', 45]);
    const daily = wb.getWorksheet('Journalier')!;
    expect(daily.rowCount).toBe(1 + 173);
  });

  it('PDF text read back with pdf.js names the meter, the months and the total', async () => {
    const res = await get('/api/meters/M-1/exports/consumption.pdf?months=6&lang=en');
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const [page] = await pdfText(new Uint8Array(res.rawPayload));
    expect(page).toContain('Consumption history');
    expect(page).toContain('M-1');
    expect(page).toContain('June 2026');
    expect(page).toContain('November 2026');
    // 45 + 47.5 + 46.5 + 45 + 46.5 + 30 (1st–20th November) = 260.5
    expect(page).toContain('260.50');
  });

  it('a customer exports their own meter but gets 404 for another customer’s', async () => {
    expect((await get('/api/meters/M-1/exports/consumption.csv', customerKey)).statusCode).toBe(200);
    const other = await get('/api/meters/M-2/exports/consumption.csv', customerKey);
    expect(other.statusCode).toBe(404);
    expect(other.json().code).toBe('MG_ERR_METER_NOT_FOUND');
  });

  it('rejects bad input with a clear error', async () => {
    const fmt = await get('/api/meters/M-1/exports/consumption.docx');
    expect(fmt.statusCode).toBe(400);
    const months = await get('/api/meters/M-1/exports/consumption.csv?months=99');
    expect(months.statusCode).toBe(400);
    expect(months.json()).toMatchObject({
      code: 'MG_ERR_HTTP_VALIDATION',
      details: [{ field: 'querystring/months' }],
    });
    expect(months.json().details[0].reason).toContain('36');
    expect((await get('/api/meters/nope/exports/consumption.csv')).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/meters/M-1/exports/consumption.csv' })).statusCode).toBe(401);
  });
});

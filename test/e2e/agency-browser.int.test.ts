/**
 * The online agency in a real browser (Debian's Chromium through playwright-core), on a phone-sized
 * window, in French and in Arabic: create an account (the page solves the proof-of-work CAPTCHA) →
 * read the password from the outbox → the first sign-in forces a new password → 6 bills → open a
 * PDF → export XLSX → pay one bill on the simulated provider's page → file a claim with an
 * attachment → an operator resolves it → the customer sees the change and got the SMS. Screenshots
 * go to test-artifacts/agency/; axe-core finds no serious or critical violation.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agencyWorld, PEOPLE, TINY_PDF, type AgencyWorld, type DemoPerson } from './agency-harness.js';
import { launchChromium } from './dashboards-browser.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'agency');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let w: AgencyWorld;
let browser: Browser;
beforeAll(async () => {
  w = await agencyWorld({ listen: true });
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.close();
});

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** axe-core evaluated through the devtools protocol (the page's CSP forbids injected scripts). */
async function axeSerious(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            d: unknown,
            o: unknown,
          ) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }>;
        };
      }
    ).axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.map((n) => JSON.stringify(n.target)),
    }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} ${v.nodes.join(' ')}`);
}

async function outbox(to: string): Promise<{ template: string; text: string }[]> {
  const r = await fetch(`${w.url}/api/outbox?to=${encodeURIComponent(to)}`, {
    headers: { 'x-api-key': w.operatorKey },
  });
  return (await r.json()).messages;
}

const LABELS = {
  fr: {
    button: 'Français',
    register: 'Créer un compte',
    registered: /Compte créé/,
    login: 'Se connecter',
    rows: /Payer la facture/,
    paid: /Paiement accepté/,
    resolved: 'Résolu',
    acknowledged: 'Pris en charge',
    claim: 'Déposer une réclamation',
  },
  ar: {
    button: 'العربية',
    register: 'إنشاء حساب',
    registered: /تم إنشاء الحساب/,
    login: 'تسجيل الدخول',
    rows: /أداء الفاتورة/,
    paid: /تم قبول الأداء/,
    resolved: 'تمت معالجته',
    acknowledged: 'تم التكفل به',
    claim: 'تقديم شكاية',
  },
};

async function walk(lang: 'fr' | 'ar', p: DemoPerson, username: string) {
  const L = LABELS[lang];
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    acceptDownloads: true,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${w.url}/agence`);
  await page.getByRole('button', { name: L.button }).click();
  await expect
    .poll(() => page.evaluate(() => document.documentElement.dir))
    .toBe(lang === 'ar' ? 'rtl' : 'ltr');
  problems.push(...(await axeSerious(page)));
  await shot(page, `${lang}-00-sign-in`);

  // Create the account; the page solves the CAPTCHA itself.
  await page.getByRole('link', { name: L.register }).click();
  await page.locator('#service').selectOption('electricity');
  const fill = {
    username,
    email: p.email,
    lastName: 'Bennani',
    firstName: 'Salma',
    mobile: p.mobile,
    cin: p.cin,
    birthDate: p.birthDate,
    customerNumber: p.customerNumber,
    contractNumber: p.contract,
  };
  for (const [id, value] of Object.entries(fill)) await page.locator(`#${id}`).fill(value);
  await shot(page, `${lang}-01-register`);
  problems.push(...(await axeSerious(page)));
  await page.locator('form button[type=submit]').click();
  await page.getByText(L.registered).waitFor({ timeout: 60_000 });
  await shot(page, `${lang}-02-registered`);

  // The password, from the outbox (what the SMS says).
  const sms = (await outbox(p.mobile)).find((m) => m.template === 'agency_password')!;
  const password = /(?:provisoire|المؤقتة|temporary password) ([^\s.،]+)/.exec(sms.text)![1]!;

  await page.getByRole('link', { name: L.login }).click();
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('form button[type=submit]').click();
  await page.locator('#confirm').waitFor();
  await shot(page, `${lang}-03-forced-change`);
  await page.locator('#old').fill(password);
  await page.locator('#new').fill('Ma-Maison-2026!');
  await page.locator('#confirm').fill('Ma-Maison-2026!');
  await page.locator('form button[type=submit]').click();

  // Six bills, a PDF, the XLSX export.
  await page.getByRole('checkbox', { name: L.rows }).first().waitFor();
  expect(await page.locator('tbody tr').count()).toBe(6);
  await shot(page, `${lang}-04-bills`);
  problems.push(...(await axeSerious(page)));
  const pdfHref = (await page.locator('tbody tr').first().locator('a').getAttribute('href'))!;
  const pdf = await context.request.get(`${w.url}${pdfHref}`);
  expect(pdf.headers()['content-type']).toBe('application/pdf');
  expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('a[href^="/api/agency/bills/export.xlsx"]').click(),
  ]);
  const xlsx = readFileSync((await download.path())!);
  expect(xlsx.subarray(0, 2).toString()).toBe('PK');

  // Pay the newest bill on the provider's page; back on the receipt, the bill is paid.
  await page.getByRole('checkbox', { name: L.rows }).first().check();
  await page.locator('button.primary').first().click();
  await page.locator('#approve').click();
  await page.getByText(L.paid).waitFor();
  await shot(page, `${lang}-05-receipt`);

  // A claim with an attachment.
  const file = join(ARTIFACTS, 'releve.pdf');
  writeFileSync(file, TINY_PDF);
  await page.goto(`${w.url}/ui/agency/#/claims`);
  await page.locator('#subject').fill(lang === 'ar' ? 'فاتورة مرتفعة' : 'Facture trop élevée');
  await page
    .locator('#message')
    .fill(lang === 'ar' ? 'الفاتورة مرتفعة جدا' : 'Le montant de juillet est anormal.');
  await page.locator('#attachments').setInputFiles(file);
  await page.locator('form button[type=submit]').click();
  const title = page.locator('h1');
  await expect.poll(async () => (await title.textContent()) ?? '').toMatch(/RC-\d{4}-\d{6}/);
  const tn = /RC-\d{4}-\d{6}/.exec((await title.textContent())!)![0];
  await shot(page, `${lang}-06-claim`);

  // The operator resolves it from the queue page (operator API key); the customer sees it and got the SMS.
  const desk = await context.newPage();
  await desk.goto(`${w.url}/ui/agency/queue.html`);
  await desk.locator('#key').fill(w.operatorKey);
  await desk.locator('form button[type=submit]').click();
  await desk.getByRole('button', { name: tn }).click();
  await desk.getByRole('button', { name: L.acknowledged, exact: true }).click();
  await desk.locator('.timeline li').nth(1).waitFor();
  await desk.getByRole('button', { name: L.resolved, exact: true }).click();
  await desk.locator('.timeline li').nth(2).waitFor();
  await shot(desk, `${lang}-07a-operator-queue`);
  problems.push(...(await axeSerious(desk)));
  await desk.close();
  await page.reload();
  await expect.poll(async () => (await page.locator('#case-status').textContent()) ?? '').toBe(L.resolved);
  await shot(page, `${lang}-07-resolved`);
  problems.push(...(await axeSerious(page)));
  const updates = (await outbox(p.mobile)).filter(
    (m) => m.template === 'agency_case_update' && m.text.includes(tn),
  );
  expect(updates).toHaveLength(2);
  // Notification preferences, in the same agency.
  await page.goto(`${w.url}/ui/agency/#/preferences`);
  await page.locator('input[name=channels][value=both]').check();
  await page.locator('form button[type=submit]').click();
  await page.locator('.success').waitFor();
  await shot(page, `${lang}-08-preferences`);
  // Consumption and a self-reading, with the same sign-in.
  await page.goto(`${w.url}/ui/agency/#/consumption`);
  await page.locator('#index').fill('2600');
  await page.locator('form button[type=submit]').click();
  await page.locator('.success').waitFor();
  await shot(page, `${lang}-09-consumption`);
  problems.push(...(await axeSerious(page)));
  expect(problems, problems.join('\n')).toEqual([]);
  await context.close();
}

/** Runs the walk, naming the last screenshot reached when a step fails. */
async function walkNamed(lang: 'fr' | 'ar', p: DemoPerson, username: string) {
  try {
    await walk(lang, p, username);
  } catch (err) {
    (err as Error).message = `[${lang}] ${(err as Error).message}`;
    throw err;
  }
}

describe('the online agency in a browser (phone-sized)', () => {
  it('walks the whole path in French', async () => {
    await walkNamed('fr', PEOPLE[0]!, 'salma.fr');
  }, 180_000);
  it('walks the whole path in Arabic (right to left)', async () => {
    await walkNamed('ar', PEOPLE[1]!, 'salma.ar');
  }, 180_000);
});

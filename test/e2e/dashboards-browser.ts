/**
 * Browser support for the dashboards' end-to-end tests: Debian's Chromium driven by
 * playwright-core (never a downloaded browser), axe-core injected from node_modules, and
 * screenshots saved under test-artifacts/ (gitignored) for a person to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireCommand } from '../support/services.js';

export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboards');

export async function launchChromium(): Promise<Browser> {
  const executablePath = requireCommand('chromium', 'chromium');
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core on the current page (WCAG 2.1 A/AA rules); returns serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            ctx: unknown,
            opts: unknown,
          ) => Promise<{
            violations: Array<{
              id: string;
              impact: string | null;
              help: string;
              nodes: Array<{ target: unknown[] }>;
            }>;
          }>;
        };
      }
    ).axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => JSON.stringify(n.target)),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** Signs in through the login form, as a person would. */
export async function signIn(page: Page, baseUrl: string, apiKey: string, hash = ''): Promise<void> {
  await page.goto(`${baseUrl}/ui/${hash}`);
  await page.getByLabel(/Clé d’API|API key/).fill(apiKey);
  await page.getByRole('button', { name: /Se connecter|Sign in/ }).click();
  await page.getByRole('button', { name: /Se déconnecter|Sign out/ }).waitFor();
}

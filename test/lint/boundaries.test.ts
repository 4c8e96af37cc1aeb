import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The dependency rule of ARCHITECTURE.md is enforced by lint; these fixtures prove that a deliberate
// violation is caught (and that the allowed form is not), so the rule cannot silently rot.
const eslint = new ESLint({ cwd: process.cwd() });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('module boundaries', () => {
  it('refuses reaching into another module internals', async () => {
    const errs = await boundaryErrors(
      'gateway/lint-fixture.ts',
      "import { TopicScheme } from '../protocol/topics.js';\nexport const t = TopicScheme;\n",
    );
    expect(errs.join()).toMatch(/only through its public entry protocol\/index\.js/);
  });

  it('refuses a dependency the architecture does not allow', async () => {
    expect(
      (await boundaryErrors('gateway/lint-fixture.ts', "export * from '../drivers/index.js';\n")).join(),
    ).toMatch(/gateway\/ may not depend on drivers\//);
    expect(
      (await boundaryErrors('protocol/lint-fixture.ts', "export * from '../gateway/index.js';\n")).join(),
    ).toMatch(/protocol\/ may not depend on gateway\//);
    expect(
      (
        await boundaryErrors('token-engine/sub/fixture.ts', "export * from '../../protocol/index.js';\n")
      ).join(),
    ).toMatch(/token-engine\/ may not depend on protocol\//);
  });

  it('accepts an allowed import through the public entry', async () => {
    expect(
      await boundaryErrors(
        'gateway/lint-fixture.ts',
        "export { TopicScheme } from '../protocol/index.js';\n",
      ),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'gateway/deep/fixture.ts',
        "export { TopicScheme } from '../../protocol/index.js';\n",
      ),
    ).toEqual([]);
  });
});

describe('gateway domains', () => {
  it('refuses a lower domain importing a higher one', async () => {
    expect(
      (
        await boundaryErrors('gateway/metering/x/fixture.ts', "export * from '../../customers/index.js';\n")
      ).join(),
    ).toMatch(/gateway\/metering\/ may not depend on gateway\/customers\//);
    expect(
      (
        await boundaryErrors('gateway/platform/x/fixture.ts', "export * from '../../billing/index.js';\n")
      ).join(),
    ).toMatch(/gateway\/platform\/ may not depend on gateway\/billing\//);
  });

  it('lets a higher domain use a lower one only through its entry', async () => {
    expect(
      (
        await boundaryErrors(
          'gateway/customers/x/fixture.ts',
          "export * from '../../platform/db/index.js';\n",
        )
      ).join(),
    ).toMatch(/only through its public entry gateway\/platform\/index\.js/);
    expect(
      await boundaryErrors('gateway/customers/x/fixture.ts', "export * from '../../platform/index.js';\n"),
    ).toEqual([]);
  });

  it('keeps the top-level rule inside a domain', async () => {
    expect(
      (
        await boundaryErrors('gateway/billing/x/fixture.ts', "export * from '../../../drivers/index.js';\n")
      ).join(),
    ).toMatch(/gateway\/ may not depend on drivers\//);
  });

  it('lets field use every business domain and no domain use field', async () => {
    expect(
      await boundaryErrors('gateway/field/x/fixture.ts', "export * from '../../customers/index.js';\n"),
    ).toEqual([]);
    expect(
      (
        await boundaryErrors('gateway/billing/x/fixture.ts', "export * from '../../field/index.js';\n")
      ).join(),
    ).toMatch(/gateway\/billing\/ may not depend on gateway\/field\//);
  });
});

describe('test support', () => {
  it('is open to test files and closed to production code', async () => {
    const imp = "export * from '../../../test/support/services.js';\n";
    expect(await boundaryErrors('gateway/platform/db/x.test.ts', imp)).toEqual([]);
    expect((await boundaryErrors('gateway/platform/db/x.ts', imp)).join()).toMatch(
      /gateway\/ may not depend on test\//,
    );
  });
});

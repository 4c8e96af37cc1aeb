import type { PGlite, Results } from '@electric-sql/pglite';
import pg from 'pg';

type Executor = Pick<PGlite, 'query'>;

const INVALID_STATEMENT_NAME = '26000';

/**
 * Named statements on PGlite, which has no protocol-level ones: `PREPARE` once, then `EXECUTE` with
 * the parameters as quoted literals (EXECUTE takes no bind parameters). In WebAssembly planning the
 * ledger's join of five tables costs more than running it (~0.7 ms of ~1.2 ms per call), so hot
 * statements are planned once per database. Only scalar parameters are inlined, each through pg's
 * escapeLiteral and cast by PostgreSQL to the type it inferred for that parameter; a statement with
 * an array or object parameter runs unprepared.
 */
export class PglitePreparedStatements {
  private readonly texts = new Map<string, string>();

  static literal(value: unknown): string | undefined {
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'string') return pg.escapeLiteral(value);
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
      return `'${String(value)}'`;
    if (value instanceof Date) return pg.escapeLiteral(value.toISOString());
    return undefined;
  }

  /** The statement's result, or undefined when a parameter cannot be inlined (run it unprepared). */
  async run<T>(q: Executor, name: string, text: string, params: unknown[]): Promise<Results<T> | undefined> {
    const literals: string[] = [];
    for (const p of params) {
      const l = PglitePreparedStatements.literal(p);
      if (l === undefined) return undefined;
      literals.push(l);
    }
    const known = this.texts.get(name);
    if (known !== undefined && known !== text) {
      throw new Error(`statement name ${JSON.stringify(name)} is already used for other SQL`);
    }
    const execute = `EXECUTE ${pg.escapeIdentifier(name)}${literals.length ? `(${literals.join(', ')})` : ''}`;
    if (known === undefined) await this.prepare(q, name, text);
    try {
      return await q.query<T>(execute);
    } catch (err) {
      // DEALLOCATE ALL or DISCARD ALL run by someone else: prepare again, once.
      if ((err as { code?: string }).code !== INVALID_STATEMENT_NAME) throw err;
      await this.prepare(q, name, text);
      return await q.query<T>(execute);
    }
  }

  private async prepare(q: Executor, name: string, text: string): Promise<void> {
    this.texts.delete(name);
    await q.query(`PREPARE ${pg.escapeIdentifier(name)} AS ${text}`);
    this.texts.set(name, text);
  }
}

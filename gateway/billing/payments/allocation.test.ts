import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateCredits, type OpenItem } from './allocation.js';

describe('allocation', () => {
  it('pays the oldest due first, partially, and keeps the rest as credit', () => {
    const debits: OpenItem[] = [
      { entry: 2, remaining: 500, due: '2026-03-01', bill: 'B2' },
      { entry: 1, remaining: 300, due: '2026-02-01', bill: 'B1' },
    ];
    expect(allocateCredits(debits, [{ entry: 3, remaining: 400, due: '2026-03-05' }])).toEqual([
      { credit: 3, debit: 1, amount: 300 },
      { credit: 3, debit: 2, amount: 100 },
    ]);
    const over = allocateCredits(debits, [{ entry: 3, remaining: 1000, due: '2026-03-05' }]);
    expect(over.reduce((s, a) => s + a.amount, 0)).toBe(800);
  });

  it('settles the targeted bill first; an exclusive credit (a plan) touches nothing else', () => {
    const debits: OpenItem[] = [
      { entry: 1, remaining: 300, due: '2026-02-01', bill: 'B1' },
      { entry: 2, remaining: 500, due: '2026-03-01', bill: 'B2' },
    ];
    expect(allocateCredits(debits, [{ entry: 3, remaining: 600, due: '', targets: ['B2'] }])).toEqual([
      { credit: 3, debit: 2, amount: 500 },
      { credit: 3, debit: 1, amount: 100 },
    ]);
    expect(
      allocateCredits(debits, [{ entry: 3, remaining: 600, due: '', targets: ['B2'], exclusive: true }]),
    ).toEqual([{ credit: 3, debit: 2, amount: 500 }]);
  });
});

/**
 * The books of one customer in memory, driven by the same allocator as the store: entries (debits > 0,
 * credits < 0) and allocations. The invariant of issue 16 §8 is checked after every operation.
 */
class Books {
  entries: {
    id: number;
    amount: number;
    due: string;
    bill?: string;
    targets?: string[];
    exclusive?: boolean;
  }[] = [];
  used = new Map<number, number>();
  credited = new Map<string, number>();
  day = 0;
  private add(e: Omit<Books['entries'][number], 'id' | 'due'>): void {
    this.entries.push({
      ...e,
      id: this.entries.length + 1,
      due: `2026-${String(1 + (this.day % 12)).padStart(2, '0')}-01`,
    });
  }
  remaining(e: Books['entries'][number]): number {
    return Math.abs(e.amount) - (this.used.get(e.id) ?? 0);
  }
  balance(): number {
    return this.entries.reduce((s, e) => s + e.amount, 0);
  }
  settle(): void {
    const open = (sign: number) =>
      this.entries
        .filter((e) => Math.sign(e.amount) === sign && this.remaining(e) > 0)
        .map((e) => ({ ...e, entry: e.id, remaining: this.remaining(e) }));
    for (const a of allocateCredits(open(1), open(-1))) {
      if (a.amount <= 0) throw new Error(`allocation of ${a.amount}`);
      this.used.set(a.credit, (this.used.get(a.credit) ?? 0) + a.amount);
      this.used.set(a.debit, (this.used.get(a.debit) ?? 0) + a.amount);
    }
  }
  apply(op: Op): void {
    this.day++;
    const bills = this.entries.filter((e) => e.bill && e.amount > 0 && !e.bill.startsWith('plan'));
    const pick = (i: number) => bills[i % Math.max(1, bills.length)];
    switch (op.kind) {
      case 'bill':
        this.add({ amount: op.amount, bill: `B${this.entries.length + 1}` });
        break;
      case 'payment':
        this.add({
          amount: -op.amount,
          targets: op.target !== undefined && pick(op.target) ? [pick(op.target)!.bill!] : [],
        });
        break;
      case 'refund': {
        const credit = -this.balance();
        if (credit > 0) this.add({ amount: Math.min(op.amount, credit) });
        break;
      }
      case 'credit-note': {
        const b = pick(op.target);
        if (!b) break;
        const left = b.amount - (this.credited.get(b.bill!) ?? 0);
        const amount = Math.min(op.amount, left);
        if (amount <= 0) break;
        this.credited.set(b.bill!, (this.credited.get(b.bill!) ?? 0) + amount);
        this.add({ amount: -amount, targets: [b.bill!] });
        break;
      }
      case 'plan': {
        const b = pick(op.target);
        if (!b || this.remaining(b) === 0) break;
        const total = this.remaining(b);
        this.add({ amount: -total, targets: [b.bill!], exclusive: true });
        const n = op.months;
        for (let i = 0; i < n; i++) {
          const part = Math.floor(total / n) + (i < total % n ? 1 : 0);
          if (part > 0) this.add({ amount: part, bill: b.bill });
        }
        break;
      }
    }
    this.settle();
  }
  check(): void {
    let open = 0;
    let unused = 0;
    for (const e of this.entries) {
      const used = this.used.get(e.id) ?? 0;
      if (used > Math.abs(e.amount)) throw new Error(`entry ${e.id} allocated twice`);
      if (e.amount > 0) open += e.amount - used;
      else unused += -e.amount - used;
    }
    // Balance = sum of the entries = what is open minus the credit left.
    if (this.balance() !== open - unused) throw new Error(`balance ${this.balance()} ≠ ${open - unused}`);
    const freeCredit = this.entries.some((e) => e.amount < 0 && !e.exclusive && this.remaining(e) > 0);
    // A free credit never waits beside an open debit.
    if (freeCredit && open > 0) throw new Error('credit left unallocated beside an open debit');
  }
}

type Op =
  | { kind: 'bill'; amount: number }
  | { kind: 'payment'; amount: number; target?: number }
  | { kind: 'refund'; amount: number }
  | { kind: 'credit-note'; amount: number; target: number }
  | { kind: 'plan'; target: number; months: number };

const amount = fc.integer({ min: 1, max: 500_000 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('bill' as const), amount }) },
  {
    weight: 4,
    arbitrary: fc.record(
      { kind: fc.constant('payment' as const), amount, target: fc.nat(50) },
      { requiredKeys: ['kind', 'amount'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refund' as const), amount }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('credit-note' as const), amount, target: fc.nat(50) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('plan' as const),
      target: fc.nat(50),
      months: fc.integer({ min: 2, max: 12 }),
    }),
  },
);

describe('books under random operations (issue 16 §8)', () => {
  it('balance = sum of the entries and nothing is allocated twice, over 10,000 operations', () => {
    let total = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 500, maxLength: 500 }), (ops) => {
        const books = new Books();
        for (const o of ops) {
          books.apply(o);
          books.check();
        }
        total += ops.length;
      }),
      { numRuns: 20, seed: 16 },
    );
    expect(total).toBe(10_000);
  });
});

/**
 * Allocation of a customer's credits to their debits (issue 16 §7), a pure function so the same rule
 * runs in the store and in the property test.
 *
 * Debits are the positive account entries still open (bills, instalments falling due, refunds),
 * credits the negative ones not yet used (payments, credit notes, plans, negative regularisations).
 * Each credit goes first to the bill it targets (a payment entered against a bill, a credit note to
 * the bill it corrects, a plan to the bill it spreads), then — unless it is exclusive to that bill
 * (plans and deferrals) — to the open debits oldest due first. Nothing is allocated beyond what
 * either side has left.
 */
export interface OpenItem {
  /** The account entry's id (also the tie-breaker: older entries first). */
  entry: number;
  /** What is left to allocate, > 0 (centimes). */
  remaining: number;
  /** Due date (YYYY-MM-DD); debits are taken oldest due first. */
  due: string;
  /** Debits: the bill the entry belongs to. */
  bill?: string | null;
  /** Credits: the bills to settle first. */
  targets?: readonly string[] | null;
  /** Credits: only the target bills may use it. */
  exclusive?: boolean;
}

export interface Allocation {
  credit: number;
  debit: number;
  amount: number;
}

const byDue = (a: OpenItem, b: OpenItem) => (a.due < b.due ? -1 : a.due > b.due ? 1 : a.entry - b.entry);

export function allocateCredits(debits: readonly OpenItem[], credits: readonly OpenItem[]): Allocation[] {
  const open = debits.filter((d) => d.remaining > 0).map((d) => ({ ...d }));
  open.sort(byDue);
  const out: Allocation[] = [];
  for (const c of [...credits].filter((x) => x.remaining > 0).sort((a, b) => a.entry - b.entry)) {
    let left = c.remaining;
    const targets = new Set(c.targets ?? []);
    const first = (d: OpenItem) => !!d.bill && targets.has(d.bill);
    const order = targets.size
      ? [...open.filter(first), ...(c.exclusive ? [] : open.filter((d) => !first(d)))]
      : open;
    for (const d of order) {
      if (left === 0) break;
      const amount = Math.min(left, d.remaining);
      if (amount <= 0) continue;
      d.remaining -= amount;
      left -= amount;
      out.push({ credit: c.entry, debit: d.entry, amount });
    }
  }
  return out;
}

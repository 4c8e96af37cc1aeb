import { Type } from '@sinclair/typebox';

/** Prepaid vending (gateway/prepaid): the utility's own operating rules. */
export const PrepaidSection = Type.Object(
  {
    /**
     * Minutes after a sale during which it may still be reversed (while its token is not accepted
     * by the meter); after that only an operator's credit note refunds it. At most a week: a
     * token kept that long is as good as typed.
     */
    reversalWindowMinutes: Type.Integer({ minimum: 1, maximum: 10_080, default: 60 }),
  },
  { additionalProperties: false, default: {} },
);

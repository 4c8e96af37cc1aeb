import { GatewayError, type Principal } from '../../platform/index.js';
import type { ReadingRounds } from './reading-rounds.js';

/**
 * The meter reader's scope over reading rounds (least privilege for the phone app): a `reader`
 * principal reaches only the rounds whose `reader` is their own readerId. Another reader's round
 * answers exactly as an unknown one (the same 404), so a reader learns nothing about rounds that
 * are not theirs, not even that they exist. Staff (operator, admin) reach every round.
 */
export async function assertRoundInScope(
  rounds: Pick<ReadingRounds, 'readerOf'>,
  principal: Principal | undefined,
  id: string,
): Promise<void> {
  if (principal?.role !== 'reader') return;
  const reader = await rounds.readerOf(id);
  if (reader === undefined || reader !== principal.readerId) {
    throw new GatewayError('MG_ERR_FIELD_ROUND_NOT_FOUND', { params: { id } });
  }
}

/**
 * The `?reader=` of the round list for this principal: a reader's own id always (the list is theirs
 * whatever is asked); asking for another reader's rounds is refused rather than silently answered
 * with one's own, so a client bug shows. Staff: what they asked (or every reader).
 */
export function readerFilter(
  principal: Principal | undefined,
  asked: string | undefined,
): string | undefined {
  if (principal?.role !== 'reader') return asked;
  if (asked !== undefined && asked !== principal.readerId) {
    throw new GatewayError('MG_ERR_AUTH_FORBIDDEN', { params: { role: principal.role } });
  }
  return principal.readerId;
}

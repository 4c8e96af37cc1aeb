import { afterEach, describe, expect, it } from 'vitest';
import { listRecordings, loadRecording, type Recording } from './testing/recordings.js';
import { startReplayServer, type ReplayServer } from './testing/replay-server.js';
import { runSteps, type StepOutcome } from './testing/run-steps.js';

/**
 * Our client against the recorded Gurux server (a replay peer answering with the recorded frames).
 * With the recordings' fixed parameters our requests must equal dlms-cosem's byte for byte, and what
 * we decode must equal what dlms-cosem decoded (`result`). Missing recordings fail, never skip.
 */
const NAMES = listRecordings();
let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The recorded outcome of one step, in our vocabulary. */
function expectedOutcome(rec: Recording, r: Record<string, unknown>): Record<string, unknown> {
  if ('association' in r) {
    const kind = r.association as string;
    if (kind === 'no-answer') return { association: true, errorCode: 'MG_ERR_DLMS_TIMEOUT' };
    if (kind === 'exception-response') {
      const service = /ServiceException\.\w+: (\d+)/.exec(String(r.error));
      return { association: true, errorCode: 'MG_ERR_DLMS_EXCEPTION', serviceError: Number(service?.[1]) };
    }
    const diag = /AcseServiceUserDiagnostics\.\w+: (\d+)/.exec(String(r.error));
    return { association: true, errorCode: 'MG_ERR_DLMS_AUTH', diagnostic: Number(diag?.[1]) };
  }
  if ('release' in r) return { release: r.release === 'ReleaseResponse' ? 'release-response' : 'error' };
  if ('close_error' in r) {
    const service = /ServiceException\.\w+: (\d+)/.exec(String(r.close_error));
    return { release: 'error', errorCode: 'MG_ERR_DLMS_EXCEPTION', serviceError: Number(service?.[1]) };
  }
  if (r.op) {
    if (r.error)
      return {
        errorCode: 'MG_ERR_DLMS_ACTION',
        actionResult: /READ_WRITE_DENIED/.test(String(r.error)) ? 3 : -1,
      };
    return { result: r.result };
  }
  if (r.error) {
    const dar = /DataAccessResult\.\w+: (\d+)/.exec(String(r.error));
    return { errorCode: 'MG_ERR_DLMS_ACCESS', dataAccessResult: Number(dar?.[1]) };
  }
  void rec;
  return { type: r.type, value: r.value, raw: r.raw };
}

function ours(o: StepOutcome, like: Record<string, unknown>): Record<string, unknown> {
  const detail = (o.detail ?? {}) as Record<string, unknown>;
  const pick: Record<string, unknown> = {};
  for (const k of Object.keys(like)) pick[k] = k in o ? o[k] : detail[k];
  return pick;
}

describe('DLMS client against the recorded Gurux meter (replay)', () => {
  it('finds the recordings', () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(29);
  });

  for (const name of NAMES) {
    it(`${name}: byte-identical requests, same decoded results`, async () => {
      const rec = loadRecording(name);
      server = await startReplayServer(rec);
      const timeout = rec.meta.scenario === 'wrapper-unknown-client' ? 300 : 3000;
      const outcomes = await runSteps(rec, server.port, timeout);
      expect(server.state.mismatch).toBeUndefined();
      expect(server.state.matched).toBe(server.state.total);
      const expected = rec.result.map((r) => expectedOutcome(rec, r));
      expect(outcomes.length).toBe(expected.length);
      outcomes.forEach((o, i) => expect({ i, ...ours(o, expected[i]!) }).toEqual({ i, ...expected[i] }));
    });
  }
});

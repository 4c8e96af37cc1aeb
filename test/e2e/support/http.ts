/** Small HTTP helpers for the end-to-end tier: JSON requests with an API key, polling until true. */

export async function getJson<T = unknown>(
  url: string,
  apiKey?: string,
): Promise<{ status: number; body: T; text: string }> {
  const res = await fetch(url, {
    headers: apiKey ? { 'x-api-key': apiKey } : {},
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON (e.g. /metrics) */
  }
  return { status: res.status, body: body as T, text };
}

export async function postJson<T = unknown>(
  url: string,
  apiKey: string,
  payload: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body: body as T };
}

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined, or throws with
 * `what` and the last error after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface MeterRow {
  id: string;
  lastReading?: { ts: string; values: Record<string, number> };
}

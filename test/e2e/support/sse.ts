/**
 * A Server-Sent Events reader (WHATWG HTML §9.2 event stream) over fetch, for the gateway's
 * `/api/live`: collects every `event:`/`data:` block so a test can wait for a given one.
 */
export interface SseEvent {
  type: string;
  data: Record<string, unknown>;
}

export interface SseStream {
  events: SseEvent[];
  waitFor(match: (e: SseEvent) => boolean, timeoutMs: number, what: string): Promise<SseEvent>;
  close(): void;
}

export async function openSse(url: string, apiKey: string): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { 'x-api-key': apiKey }, signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`SSE ${url}: HTTP ${res.status} ${await res.text()}`);
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          let type = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) type = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (data.length) {
            events.push({ type, data: JSON.parse(data.join('\n')) as Record<string, unknown> });
            waiters.forEach((w) => w());
          }
        }
      }
    } catch {
      /* aborted by close() */
    }
  })();
  return {
    events,
    waitFor(match, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const e = events.find(match);
          if (!e) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(e);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no live ${what} within ${timeoutMs} ms; saw ${JSON.stringify(events.map((e) => [e.type, e.data.kind]))}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}

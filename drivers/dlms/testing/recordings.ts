import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The recorded DLMS conversations of ../shared/vectors/dlms (two independent implementations,
 * see that README). Resolved beside the repository, as CI clones it; a missing folder is an error,
 * never a skip.
 */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const RECORDINGS_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'vectors', 'dlms');

export interface RecordedFrame {
  dir: 'c2s' | 's2c';
  hex: string;
  kind: string;
  apdu?: string;
  apdu_kind?: string;
  plain?: string;
  plain_kind?: string;
  ns?: number;
  nr?: number;
  segmented?: boolean;
}

export interface Recording {
  name: string;
  meta: Record<string, unknown> & {
    transport: 'wrapper' | 'hdlc' | 'mode-e';
    client_sap: number;
    auth: 'none' | 'low' | 'high-gmac';
    password: string | null;
    keys: { ek: string; ak: string; ek_used_by_client: string } | null;
    client_system_title_hex: string;
    client_challenge: string | null;
    initial_invocation_counter: number | null;
    steps: string[];
    release: false | 'no-user-information' | 'aarq-values' | 'negotiated-values';
    max_pdu_size_proposed?: number;
    server_challenge?: string;
  };
  frames: RecordedFrame[];
  result: Record<string, unknown>[];
}

export function listRecordings(): string[] {
  if (!fs.existsSync(RECORDINGS_DIR))
    throw new Error(
      `DLMS recordings missing: ${RECORDINGS_DIR} does not exist (clone the shared inputs beside the repository)`,
    );
  const names = fs
    .readdirSync(RECORDINGS_DIR)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => f.slice(0, -6))
    .sort();
  if (names.length === 0) throw new Error(`DLMS recordings missing: no .jsonl in ${RECORDINGS_DIR}`);
  return names;
}

export function loadRecording(name: string): Recording {
  const lines = fs
    .readFileSync(path.join(RECORDINGS_DIR, `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const meta = lines[0]!.meta as Recording['meta'];
  const result = (lines[lines.length - 1]!.result ?? []) as Record<string, unknown>[];
  const frames = lines.slice(1, -1) as unknown as RecordedFrame[];
  return { name, meta, frames, result };
}

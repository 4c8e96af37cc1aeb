import { TokenEngineError } from './errors.js';
import { misty1Decrypt, misty1Encrypt, misty1ExpandKey } from './misty1.js';
import { staDecrypt, staEncrypt, staPrepareKey } from './sta.js';
import type { CipherKey } from './types.js';

/** A decoder key prepared for one encryption algorithm; blocks are [high 32, low 32] in place. */
export type PreparedCipher = {
  encrypt(block: Uint32Array): void;
  decrypt(block: Uint32Array): void;
};

/** EA07 → STA with an 8-byte key and run-time tables; EA11 → MISTY1 with a 16-byte key. */
export function prepareCipher({ decoderKey, ea, staTables }: CipherKey): PreparedCipher {
  if (!(decoderKey instanceof Uint8Array))
    throw new TokenEngineError('MG_ERR_TOKEN_DECODER_KEY', 'decoderKey must be a Uint8Array');
  if (ea === '11') {
    if (decoderKey.length !== 16)
      throw new TokenEngineError('MG_ERR_TOKEN_DECODER_KEY', 'EA11 (MISTY1) needs a 16-byte decoder key');
    const ek = misty1ExpandKey(decoderKey);
    return { encrypt: (b) => misty1Encrypt(ek, b), decrypt: (b) => misty1Decrypt(ek, b) };
  }
  if (ea === '07') {
    if (decoderKey.length !== 8)
      throw new TokenEngineError('MG_ERR_TOKEN_DECODER_KEY', 'EA07 (STA) needs an 8-byte decoder key');
    if (!staTables) throw new TokenEngineError('MG_ERR_TOKEN_STA_TABLES_REQUIRED');
    const k = staPrepareKey(staTables, decoderKey);
    return { encrypt: (b) => staEncrypt(k, b), decrypt: (b) => staDecrypt(k, b) };
  }
  throw new TokenEngineError('MG_ERR_TOKEN_KEY_FIELD', 'ea must be "07" or "11"');
}

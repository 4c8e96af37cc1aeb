// @ts-check
/* global createImageBitmap, document, FileReader, navigator */
/**
 * The meter's photo as a data: URL small enough for the queue and the readings route: scaled down
 * to MAX_SIDE pixels and re-encoded as JPEG (a phone camera's 4000-pixel photo is several MB; the
 * dial stays readable at 1280). The page's Content-Security-Policy allows data: images, not blob:.
 */
const MAX_SIDE = 1280;
const JPEG_QUALITY = 0.75;
/** The route takes up to 2,000,000 characters; stay well under the gateway's body limit. */
const MAX_CHARS = 900_000;

/** @returns {Promise<string | undefined>} */
export async function photoDataUrl(/** @type {File | undefined} */ file) {
  if (!file) return undefined;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const url = canvas.toDataURL('image/jpeg', JPEG_QUALITY);
    if (url.length <= MAX_CHARS) return url;
  } catch {
    // Not an image the browser decodes: kept as sent, when small enough.
  }
  const raw = await new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => resolve('');
    reader.readAsDataURL(file);
  });
  return typeof raw === 'string' && raw.startsWith('data:image/') && raw.length <= MAX_CHARS
    ? raw
    : undefined;
}

/** The phone's position if it gives one within a few seconds; the index is saved either way. */
export function currentPosition() {
  return /** @type {Promise<{ lat: number, lon: number } | undefined>} */ (
    new Promise((resolve) => {
      if (!('geolocation' in navigator)) return resolve(undefined);
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
        () => resolve(undefined),
        { enableHighAccuracy: true, timeout: 8000, maximumAge: 60_000 },
      );
    })
  );
}

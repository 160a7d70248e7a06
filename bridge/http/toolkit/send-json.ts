import type { Response } from 'express';

/**
 * Sends JSON text already serialized, given in pieces (a searchset page of megabytes): each piece is encoded into one
 * buffer sized for the worst case, so the page is never joined into one string, and is encoded once, where Express's
 * `send` measures the UTF-8 length in one pass and encodes in another.
 */
export function sendJsonParts(res: Response, contentType: string, parts: readonly string[]): void {
  let room = 0;
  for (const p of parts) room += p.length * 3;
  const buffer = Buffer.allocUnsafe(room);
  let length = 0;
  for (const p of parts) length += buffer.write(p, length, 'utf8');
  res.type(`${contentType}; charset=utf-8`).set('Content-Length', String(length)).end(buffer.subarray(0, length));
}

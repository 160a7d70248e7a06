import type { Response } from 'express';

/**
 * Sends JSON text already serialized (a searchset page of megabytes): encoded once into a buffer sized for the worst
 * case, where Express's `send` measures the UTF-8 length in one pass and encodes in another.
 */
export function sendJsonText(res: Response, contentType: string, text: string): void {
  const buffer = Buffer.allocUnsafe(text.length * 3);
  const length = buffer.write(text, 0, 'utf8');
  res.type(`${contentType}; charset=utf-8`).set('Content-Length', String(length)).end(buffer.subarray(0, length));
}

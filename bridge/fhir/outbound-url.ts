/**
 * A URL the bridge will call out to (a JWKS URL, a Subscription rest-hook endpoint): at most 2,000 characters, https,
 * or http on the loopback interface only (development and tests). Null when it is none of these.
 */
export function outboundUrl(value: unknown): URL | null {
  if (typeof value !== 'string' || value.length > 2000) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopback) ? url : null;
}

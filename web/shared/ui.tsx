/** Small shared pieces: the error panel, status line (aria-live) and dates. */
import type { ComponentChildren } from 'preact';
import { ApiError } from './api';

export function ErrorPanel({ error, what }: { error: unknown; what: string }) {
  const unavailable = error instanceof ApiError && error.unavailable;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="panel error" role="alert" data-testid="error-panel">
      <strong>{unavailable ? `${what} is not available on this bridge.` : `${what} could not be loaded.`}</strong>
      <p>{error instanceof ApiError && error.status ? `${message} (HTTP ${error.status})` : message}</p>
    </div>
  );
}

export function Status({ children }: { children?: ComponentChildren }) {
  return (
    <p class="status" role="status" aria-live="polite" data-testid="status">
      {children}
    </p>
  );
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return iso.length <= 10 ? d.toLocaleDateString() : d.toLocaleString();
}

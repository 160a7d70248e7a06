/** Notifications (`GET /fhir/Communication`): break-glass accesses and consent requests. */
import { useEffect, useState } from 'preact/hooks';
import { request, resources } from '../shared/api';
import { ErrorPanel, formatDate, Status } from '../shared/ui';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function Notifications({ token }: { token: string }) {
  const [items, setItems] = useState<Json[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    request(`/fhir/Communication?_count=100`, { token }).then((b) => setItems(resources(b)), setError);
  }, [token]);
  if (error) return <ErrorPanel error={error} what="Notifications" />;
  if (!items) return <Status>Loading notifications…</Status>;
  return (
    <section aria-labelledby="no-h">
      <h1 tabIndex={-1} id="no-h">
        Notifications
      </h1>
      <Status>{items.length ? `${items.length} notifications` : 'No notifications.'}</Status>
      <ul class="cards" data-testid="notifications">
        {items.map((c, i) => {
          const kind = c.category?.[0]?.coding?.[0]?.code ?? '';
          return (
            <li key={c.id ?? i} class={`card ${kind}`}>
              <strong>{kind === 'break-glass' ? 'Emergency access (break-glass)' : kind === 'consent-request' ? 'Consent request' : kind || 'Notice'}</strong>{' '}
              <span class="muted">{formatDate(c.sent)}</span>
              <p>{c.payload?.[0]?.contentString ?? ''}</p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

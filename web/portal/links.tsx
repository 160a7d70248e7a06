/** SMART Health Links (`POST /shl`, `GET /shl`, `DELETE /shl/{id}`): create, list, revoke, and the QR of the viewer URL. */
import QRCode from 'qrcode';
import { useEffect, useState } from 'preact/hooks';
import { request } from '../shared/api';
import { ErrorPanel, formatDate, Status } from '../shared/ui';

interface Link {
  id: string;
  shlink: string;
  viewerUrl: string;
  expiresAt: string | null;
  hasPasscode: boolean;
  label?: string | null;
  active?: boolean;
  status?: string;
}

function Qr({ text }: { text: string }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 2, width: 240 }).then(setSrc, () => setSrc(undefined));
  }, [text]);
  return src ? <img src={src} width={240} height={240} alt="QR code of this Health Link" data-testid="qr" /> : null;
}

export function HealthLinks({ token }: { token: string }) {
  const [links, setLinks] = useState<Link[]>();
  const [error, setError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [status, setStatus] = useState('');
  const [label, setLabel] = useState('');
  const [passcode, setPasscode] = useState('');
  const [expires, setExpires] = useState('');
  const [shown, setShown] = useState<Link>();
  const load = () => {
    request<Link[] | { links: Link[] }>('/shl', { token }).then((l) => setLinks(Array.isArray(l) ? l : (l.links ?? [])), setError);
  };
  useEffect(load, [token]);
  const create = async (ev: Event) => {
    ev.preventDefault();
    setActionError(undefined);
    setStatus('Creating the link…');
    try {
      const link = await request<Link>('/shl', {
        token,
        json: {
          ...(label ? { label } : {}),
          ...(passcode ? { passcode } : {}),
          ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}),
        },
      });
      setPasscode('');
      setShown(link);
      setStatus('Link created.');
      load();
    } catch (e) {
      setStatus('');
      setActionError(e);
    }
  };
  const revoke = async (l: Link) => {
    setActionError(undefined);
    try {
      await request(`/shl/${encodeURIComponent(l.id)}`, { method: 'DELETE', token });
      if (shown?.id === l.id) setShown(undefined);
      setStatus('Link revoked.');
      load();
    } catch (e) {
      setActionError(e);
    }
  };
  if (error) return <ErrorPanel error={error} what="Health Links" />;
  return (
    <section aria-labelledby="hl-h">
      <h1 tabIndex={-1} id="hl-h">
        Health Links
      </h1>
      <p>A Health Link lets a doctor anywhere read your summary (allergies, problems, medicines, vaccinations, results), for as long as you allow.</p>
      <Status>{status}</Status>
      {actionError !== undefined && <ErrorPanel error={actionError} what="That change" />}
      <form onSubmit={create} class="card" aria-labelledby="hl-new">
        <h2 id="hl-new">New Health Link</h2>
        <label for="hl-label">Label (for you)</label>
        <input id="hl-label" maxLength={80} value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
        <label for="hl-pass">Passcode (optional; tell it to the doctor separately)</label>
        <input id="hl-pass" type="password" autocomplete="new-password" value={passcode} onInput={(e) => setPasscode(e.currentTarget.value)} />
        <label for="hl-exp">Expires on (optional)</label>
        <input id="hl-exp" type="date" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
        <button type="submit" class="primary">
          Create link
        </button>
      </form>
      {shown && (
        <div class="card" data-testid="shown-link" aria-live="polite">
          <h2>{shown.label || 'Your Health Link'}</h2>
          <Qr text={shown.viewerUrl} />
          <label for="hl-url">Link to share</label>
          <input id="hl-url" readOnly value={shown.viewerUrl} data-testid="viewer-url" onFocus={(e) => e.currentTarget.select()} />
          <p class="muted">
            {shown.hasPasscode ? 'Needs the passcode. ' : ''}
            {shown.expiresAt ? `Expires ${formatDate(shown.expiresAt)}.` : 'Does not expire until you revoke it.'}
          </p>
        </div>
      )}
      {!links ? (
        <Status>Loading links…</Status>
      ) : (
        <table class="list" data-testid="links">
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Expires</th>
              <th scope="col">Passcode</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {links.map((l) => (
              <tr key={l.id}>
                <td>{l.label || '(no label)'}</td>
                <td>{formatDate(l.expiresAt)}</td>
                <td>{l.hasPasscode ? 'yes' : 'no'}</td>
                <td>
                  {l.viewerUrl && (
                    <button type="button" onClick={() => setShown(l)}>
                      Show
                    </button>
                  )}
                  <button type="button" onClick={() => revoke(l)} aria-label={`Revoke link ${l.label || ''}`}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

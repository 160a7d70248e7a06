/**
 * The patient portal (served at /portal/). Hash routes (#/timeline, #/access, #/consents, #/notifications, #/links)
 * carry no personal data. performance mark `portal-ready` when the first screen is usable (read by bench/portal.ts).
 */
import '../shared/style.css';
import { render } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { AccessLog } from './access-log';
import { beginAuthorize, completeAuthorize, continueAuthorize, type PortalToken, signOut, storedToken } from './auth';
import { Consents } from './consents';
import { HealthLinks } from './links';
import { Notifications } from './notifications';
import { Enrol, SignIn } from './signin';
import { TimelineView } from './timeline';
import { request } from '../shared/api';
import { ErrorPanel, Status } from '../shared/ui';

const VIEWS = [
  ['timeline', 'Timeline'],
  ['access', 'Access log'],
  ['consents', 'Consents'],
  ['notifications', 'Notifications'],
  ['links', 'Health Links'],
] as const;
type View = (typeof VIEWS)[number][0];

function route(): { path: string; params: URLSearchParams } {
  const h = location.hash.replace(/^#\/?/, '');
  const [path, query] = h.split('?');
  return { path: path || '', params: new URLSearchParams(query ?? '') };
}

type Phase =
  | { kind: 'starting' }
  | { kind: 'signin' }
  | { kind: 'enrol' }
  | { kind: 'redirecting' }
  | { kind: 'ready'; token: PortalToken }
  | { kind: 'failed'; error: unknown };

function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'starting' });
  const [r, setRoute] = useState(route());
  useEffect(() => {
    const onHash = () => setRoute(route());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    const onUnauthorized = () => {
      sessionStorage.removeItem('portal.token');
      setPhase({ kind: 'signin' });
    };
    addEventListener('portal-unauthorized', onUnauthorized);
    return () => removeEventListener('portal-unauthorized', onUnauthorized);
  }, []);
  useEffect(() => {
    (async () => {
      const fresh = await completeAuthorize();
      const token = fresh ?? storedToken();
      if (token) return setPhase({ kind: 'ready', token });
      if (route().params.has('request')) return setPhase({ kind: route().path === 'enrol' ? 'enrol' : 'signin' });
      const session = await request<{ signedIn?: boolean }>('/auth/session').catch(() => ({ signedIn: false }));
      if (session.signedIn) {
        setPhase({ kind: 'redirecting' });
        await beginAuthorize();
      } else setPhase({ kind: route().path === 'enrol' ? 'enrol' : 'signin' });
    })().catch((error) => setPhase({ kind: 'failed', error }));
  }, []);
  useLayoutEffect(() => {
    if (phase.kind === 'starting' || document.body.dataset.app === 'ready') return;
    document.body.dataset.app = 'ready';
    performance.mark('portal-ready');
  }, [phase]);
  const signedIn = () => {
    const requestId = route().params.get('request');
    setPhase({ kind: 'redirecting' });
    if (requestId) continueAuthorize(requestId);
    else void beginAuthorize();
  };
  const view: View = (VIEWS.find(([v]) => v === r.path)?.[0] ?? 'timeline') as View;
  useEffect(() => {
    if (phase.kind === 'ready') document.querySelector<HTMLElement>('main h1')?.focus();
  }, [view, phase.kind]);
  let body;
  switch (phase.kind) {
    case 'starting':
    case 'redirecting':
      body = <Status>{phase.kind === 'starting' ? 'Starting…' : 'Signing you in…'}</Status>;
      break;
    case 'failed':
      body = (
        <>
          <ErrorPanel error={phase.error} what="Sign-in" />
          <button type="button" onClick={() => setPhase({ kind: 'signin' })}>
            Sign in again
          </button>
        </>
      );
      break;
    case 'signin':
      body = <SignIn onSignedIn={signedIn} onEnrol={() => setPhase({ kind: 'enrol' })} />;
      break;
    case 'enrol':
      body = <Enrol onSignedIn={signedIn} onBack={() => setPhase({ kind: 'signin' })} />;
      break;
    case 'ready': {
      const { access_token: token, patient } = phase.token;
      body =
        view === 'timeline' ? (
          <TimelineView token={token} patient={patient} />
        ) : view === 'access' ? (
          <AccessLog token={token} />
        ) : view === 'consents' ? (
          <Consents token={token} patient={patient} />
        ) : view === 'notifications' ? (
          <Notifications token={token} />
        ) : (
          <HealthLinks token={token} />
        );
    }
  }
  return (
    <>
      <header class="top">
        <span class="brand">Your health records</span>
        {phase.kind === 'ready' && (
          <>
            <nav aria-label="Portal">
              <ul>
                {VIEWS.map(([v, label]) => (
                  <li key={v}>
                    <a href={`#/${v}`} aria-current={v === view ? 'page' : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <button
              type="button"
              class="link"
              onClick={() => {
                const t = phase.token;
                setPhase({ kind: 'signin' });
                void signOut(t);
              }}
            >
              Sign out
            </button>
          </>
        )}
      </header>
      <main id="main">{body}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);

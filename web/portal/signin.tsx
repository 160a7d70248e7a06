/** Sign-in (passkey first, password fallback) and enrolment with the code a clinic gave (passkey or username+password). */
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { useState } from 'preact/hooks';
import { request } from '../shared/api';
import { ErrorPanel, Status } from '../shared/ui';

async function withError(set: (e: unknown) => void, busy: (b: boolean) => void, f: () => Promise<void>): Promise<void> {
  set(undefined);
  busy(true);
  try {
    await f();
  } catch (e) {
    set(e);
  } finally {
    busy(false);
  }
}

export function SignIn({ onSignedIn, onEnrol }: { onSignedIn: () => void; onEnrol: () => void }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const passkey = () =>
    withError(setError, setBusy, async () => {
      const options = await request<{ challenge: string }>('/auth/signin/passkey/options', { json: {} });
      const response = await startAuthentication({ optionsJSON: options as never });
      await request('/auth/signin/passkey/verify', { json: { response } });
      onSignedIn();
    });
  const withPassword = (ev: Event) => {
    ev.preventDefault();
    void withError(setError, setBusy, async () => {
      await request('/auth/signin/password', { json: { username, password } });
      setPassword('');
      onSignedIn();
    });
  };
  return (
    <section aria-labelledby="signin-h" class="card narrow">
      <h1 tabIndex={-1} id="signin-h">
        Sign in
      </h1>
      <button type="button" class="primary" onClick={passkey} disabled={busy} data-testid="passkey-signin">
        Sign in with a passkey
      </button>
      <form onSubmit={withPassword} aria-label="Sign in with a password">
        <h2>Or with a password</h2>
        <label for="si-user">Username</label>
        <input id="si-user" name="username" autocomplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
        <label for="si-pass">Password</label>
        <input
          id="si-pass"
          name="password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          required
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p>
        First time here? Your clinic gives you an enrolment code.{' '}
        <button type="button" class="link" onClick={onEnrol}>
          Enrol with a code
        </button>
      </p>
      <Status>{busy ? 'Signing in…' : ''}</Status>
      {error !== undefined && <ErrorPanel error={error} what="Sign-in" />}
    </section>
  );
}

export function Enrol({ onSignedIn, onBack }: { onSignedIn: () => void; onBack: () => void }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [code, setCode] = useState('');
  const [mode, setMode] = useState<'passkey' | 'password'>('passkey');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const submit = (ev: Event) => {
    ev.preventDefault();
    void withError(setError, setBusy, async () => {
      const c = code.trim();
      if (mode === 'passkey') {
        const options = await request('/auth/enrol/passkey/options', { json: { code: c } });
        const response = await startRegistration({ optionsJSON: options as never });
        await request('/auth/enrol/passkey/verify', { json: { code: c, response } });
      } else {
        await request('/auth/enrol/password', { json: { code: c, username, password } });
      }
      setCode('');
      setPassword('');
      onSignedIn();
    });
  };
  return (
    <section aria-labelledby="enrol-h" class="card narrow">
      <h1 tabIndex={-1} id="enrol-h">
        Enrol
      </h1>
      <form onSubmit={submit}>
        <label for="en-code">Enrolment code from your clinic</label>
        <input id="en-code" name="code" autocomplete="one-time-code" value={code} onInput={(e) => setCode(e.currentTarget.value)} required />
        <fieldset>
          <legend>How will you sign in?</legend>
          <label class="inline">
            <input type="radio" name="mode" value="passkey" checked={mode === 'passkey'} onChange={() => setMode('passkey')} /> With a passkey (this device)
          </label>
          <label class="inline">
            <input type="radio" name="mode" value="password" checked={mode === 'password'} onChange={() => setMode('password')} /> With a username and password
          </label>
        </fieldset>
        {mode === 'password' && (
          <>
            <label for="en-user">Username</label>
            <input id="en-user" autocomplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
            <label for="en-pass">Password (at least 12 characters)</label>
            <input
              id="en-pass"
              type="password"
              autocomplete="new-password"
              minLength={12}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
              required
            />
          </>
        )}
        <button type="submit" class="primary" disabled={busy} data-testid="enrol-submit">
          Enrol
        </button>
      </form>
      <button type="button" class="link" onClick={onBack}>
        Back to sign-in
      </button>
      <Status>{busy ? 'Enrolling…' : ''}</Status>
      {error !== undefined && <ErrorPanel error={error} what="Enrolment" />}
    </section>
  );
}

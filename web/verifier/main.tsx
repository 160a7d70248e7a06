/**
 * The verifier page (/verify/, and dist/web/verifier-standalone.html to keep as a file): a document and its proof or
 * receipt are dropped, picked or pasted; everything is checked in this browser, and the only request goes to the RPC
 * URL typed here. Files are read with FileReader, never uploaded.
 */
import '../shared/style.css';
import './verifier.css';
import { render } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import type { Check, Verdict } from './checks';
import { classify } from './documents';
import { verify } from './verify';

/** Served by a bridge (else opened from a saved file, which has no server to download itself from). */
const SERVED = location.protocol.startsWith('http') && location.pathname.startsWith('/verify/');
const OUTCOME_TEXT = { ok: 'passed', fail: 'failed', skipped: 'not checked' } as const;
const MARK = { ok: '✓', fail: '✗', skipped: '–' } as const;

function CheckLine({ c }: { c: Check }) {
  return (
    <li class={`check check-${c.outcome}`} data-check={c.id} data-outcome={c.outcome} data-reason={c.reason ?? ''}>
      <span class="mark" aria-hidden="true">
        {MARK[c.outcome]}
      </span>{' '}
      <strong>{c.label}</strong>: {OUTCOME_TEXT[c.outcome]}
      {c.reason ? <code class="reason"> {c.reason}</code> : null} — <span class="detail">{c.detail}</span>
    </li>
  );
}

function verdictText(v: Verdict): string {
  if (v.ok) return 'Verified: every check passed.';
  const failed = v.checks.filter((c) => c.outcome === 'fail');
  if (failed.length) return `Not verified: ${failed.map((c) => c.reason).join(', ')}.`;
  return 'Partly verified: every check made passed, but some were not made (see “not checked”).';
}

const readFile = (f: File): Promise<string> => f.text();

function FileBox(props: { id: string; label: string; hint: string; value: string; set: (v: string) => void }) {
  return (
    <div class="box">
      <label for={props.id}>{props.label}</label>
      <p class="muted hint" id={`${props.id}-hint`}>
        {props.hint}
      </p>
      <textarea
        id={props.id}
        rows={8}
        spellcheck={false}
        autocomplete="off"
        aria-describedby={`${props.id}-hint`}
        value={props.value}
        onInput={(e) => props.set(e.currentTarget.value)}
      />
      <label class="file" for={`${props.id}-file`}>
        Or choose a file for “{props.label}”
      </label>
      <input
        id={`${props.id}-file`}
        type="file"
        accept=".json,.txt,application/json,application/fhir+json,text/plain"
        onChange={async (e) => {
          const f = e.currentTarget.files?.[0];
          if (f) props.set(await readFile(f));
        }}
      />
    </div>
  );
}

function Verifier() {
  const [doc, setDoc] = useState('');
  const [evidence, setEvidence] = useState('');
  const [rpcUrl, setRpcUrl] = useState('');
  const [contract, setContract] = useState('');
  const [vkey, setVkey] = useState('');
  const [timeout, setTimeoutS] = useState('10');
  const [busy, setBusy] = useState(false);
  const [checks, setChecks] = useState<Check[]>([]);
  const [verdict, setVerdict] = useState<Verdict>();
  const [dropNote, setDropNote] = useState('');

  useLayoutEffect(() => {
    document.body.dataset.app = 'ready';
  }, []);
  // Files dropped anywhere on the page go to their box by content; the browser never navigates to a dropped file.
  useEffect(() => {
    const over = (e: DragEvent) => e.preventDefault();
    const drop = async (e: DragEvent) => {
      e.preventDefault();
      const files = [...(e.dataTransfer?.files ?? [])];
      const placed: string[] = [];
      for (const f of files.slice(0, 2)) {
        const text = await readFile(f);
        if (classify(text) === 'evidence') {
          setEvidence(text);
          placed.push(`${f.name} → proof or receipt`);
        } else {
          setDoc(text);
          placed.push(`${f.name} → document`);
        }
      }
      setDropNote(placed.join('; '));
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, []);

  const run = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    delete document.body.dataset.verdict;
    setVerdict(undefined);
    setChecks([]);
    try {
      const seconds = Number(timeout);
      const v = await verify(
        { document: doc, evidence, rpcUrl, contract, vkey, timeoutMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000 },
        setChecks,
      );
      setChecks(v.checks);
      setVerdict(v);
      document.body.dataset.verdict = v.ok ? 'ok' : v.partial ? 'partial' : 'fail';
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <header class="top">
        <span class="brand">fhir-anchor-bridge verifier</span>
      </header>
      <main>
        <h1>Verify a record against the chain</h1>
        <p>
          Give a document and its proof or receipt, and the URL of a JSON-RPC node of the chain. Everything is checked in this browser; the only request leaves
          for that URL. No bridge is asked.
        </p>
        {SERVED && (
          <p>
            <a href="/verify/verifier.html" download="fhir-anchor-verifier.html">
              Keep this verifier as one file
            </a>{' '}
            (the same checks, opened from disk, with no server at all).
          </p>
        )}
        <form onSubmit={run} class="card" aria-describedby="drop-hint">
          <p id="drop-hint" class="muted">
            Drop one or two files anywhere on this page (each goes to its box by its content), choose them, or paste their text.
          </p>
          <p class="muted" role="status" data-testid="drop-note">
            {dropNote}
          </p>
          <div class="boxes">
            <FileBox
              id="v-doc"
              label="Document"
              hint="A FHIR resource or Bundle (JSON), an audit record document ($record), or a checkpoint (for a consistency proof)."
              value={doc}
              set={setDoc}
            />
            <FileBox
              id="v-evidence"
              label="Proof or receipt"
              hint="fhir-anchor-proof/1, fhir-anchor-receipt/1 or fhir-anchor-consistency/1 (JSON), the bridge's answer holding one, or a search or $everything entry fetched with _proofs=true (it stands for both boxes)."
              value={evidence}
              set={setEvidence}
            />
          </div>
          <label for="v-rpc">RPC URL of the chain</label>
          <input id="v-rpc" type="url" inputmode="url" placeholder="http://127.0.0.1:8545" value={rpcUrl} onInput={(e) => setRpcUrl(e.currentTarget.value)} />
          <label for="v-contract">Contract address you trust (optional when the proof names one)</label>
          <p class="muted hint" id="v-contract-hint">
            The AnchorRegistry you trust. When given, it is asked instead of the one the proof or receipt names.
          </p>
          <input
            id="v-contract"
            placeholder="0x…"
            spellcheck={false}
            aria-describedby="v-contract-hint"
            value={contract}
            onInput={(e) => setContract(e.currentTarget.value)}
          />
          <label for="v-vkey">The log’s verifier key (vkey), to check the checkpoint signature</label>
          <p class="muted hint" id="v-vkey-hint">
            From the bridge’s GET /log/key (or its base64 public key alone). Add witnesses’ vkeys after it, separated by spaces: each must have cosigned.
          </p>
          <input
            id="v-vkey"
            placeholder="origin+keyid+base64key"
            spellcheck={false}
            aria-describedby="v-vkey-hint"
            value={vkey}
            onInput={(e) => setVkey(e.currentTarget.value)}
          />
          <label for="v-timeout">Seconds to wait for each RPC answer</label>
          <input id="v-timeout" type="number" min="1" max="120" value={timeout} onInput={(e) => setTimeoutS(e.currentTarget.value)} />
          <div>
            <button type="submit" class="primary" disabled={busy}>
              Verify
            </button>
          </div>
        </form>
        {/* One live region, always present, so the outcome is announced when it changes. */}
        <p
          class={`status verdict ${verdict ? (verdict.ok ? 'ok' : verdict.partial ? 'pending' : 'bad') : ''}`}
          role="status"
          aria-live="polite"
          data-testid="verdict"
        >
          {busy ? 'Verifying…' : verdict ? verdictText(verdict) : ''}
        </p>
        {checks.length > 0 && (
          <section aria-labelledby="checks-h">
            <h2 id="checks-h">Checks</h2>
            <ol class="checks" data-testid="checks">
              {checks.map((c) => (
                <CheckLine key={c.id} c={c} />
              ))}
            </ol>
          </section>
        )}
      </main>
    </>
  );
}

render(<Verifier />, document.getElementById('app')!);

/**
 * SMART Health Link viewer (/shl/view#shlink:/…; HL7 SMART Health Cards and Links IG, "SMART Health Links"). The link
 * is read from the fragment, which browsers never send to the server. The recipient names themselves (and gives the
 * passcode when the link's flag has P); the manifest is POSTed, each file fetched and decrypted here with WebCrypto
 * (JWE compact, alg dir, enc A256GCM); the International Patient Summary is shown. The key never leaves the browser.
 */
import '../shared/style.css';
import { render } from 'preact';
import { useLayoutEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, request } from '../shared/api';
import { decryptCompactJwe, fromBase64Url } from '../shared/jwe';
import { ErrorPanel, formatDate, Status } from '../shared/ui';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface ShlPayload {
  url: string;
  key: string;
  exp?: number;
  flag?: string;
  label?: string;
  v?: number;
}

export function parseShlink(fragment: string): ShlPayload {
  const at = fragment.indexOf('shlink:/');
  if (at < 0) throw new Error('This page needs a SMART Health Link (…#shlink:/…).');
  const payload = JSON.parse(new TextDecoder().decode(fromBase64Url(fragment.slice(at + 'shlink:/'.length)))) as ShlPayload;
  if (typeof payload.url !== 'string' || typeof payload.key !== 'string' || payload.key.length !== 43) throw new Error('This Health Link is malformed.');
  return payload;
}

async function fetchFile(f: Json, key: string): Promise<{ contentType: string; content: string }> {
  let jwe: string;
  if (typeof f.embedded === 'string') jwe = f.embedded;
  else {
    const res = await fetch(f.location, { headers: { accept: 'application/jose' }, cache: 'no-store' }).catch(() => {
      throw new ApiError(0, 'the file cannot be reached');
    });
    if (!res.ok) throw new ApiError(res.status, `the file answered ${res.status}`);
    jwe = await res.text();
  }
  try {
    return { contentType: f.contentType, content: await decryptCompactJwe(jwe, key) };
  } catch {
    throw new Error('The file could not be decrypted with this link’s key.');
  }
}

const text = (cc: Json | undefined): string => cc?.text ?? cc?.coding?.[0]?.display ?? cc?.coding?.[0]?.code ?? '';
const name = (p: Json | undefined): string => {
  const n = p?.name?.[0];
  return n ? (n.text ?? [...(n.given ?? []), n.family].filter(Boolean).join(' ')) : '';
};

function quantity(o: Json): string {
  if (o.valueQuantity) return `${o.valueQuantity.comparator ?? ''}${o.valueQuantity.value} ${o.valueQuantity.unit ?? o.valueQuantity.code ?? ''}`;
  if (o.valueCodeableConcept) return text(o.valueCodeableConcept);
  if (o.valueString) return o.valueString;
  return (o.component ?? []).map((c: Json) => `${text(c.code)} ${quantity(c)}`).join('; ');
}

const SECTIONS: { title: string; types: string[]; row: (r: Json) => [string, string, string] }[] = [
  {
    title: 'Allergies and intolerances',
    types: ['AllergyIntolerance'],
    row: (r) => [text(r.code), text(r.clinicalStatus), (r.reaction ?? []).flatMap((x: Json) => (x.manifestation ?? []).map(text)).join(', ')],
  },
  { title: 'Problems', types: ['Condition'], row: (r) => [text(r.code), text(r.clinicalStatus), formatDate(r.onsetDateTime ?? r.recordedDate)] },
  {
    title: 'Medications',
    types: ['MedicationStatement', 'MedicationRequest'],
    row: (r) => [
      text(r.medicationCodeableConcept) || r.medicationReference?.display || '',
      r.status ?? '',
      (r.dosage ?? r.dosageInstruction ?? [])
        .map((d: Json) => d.text)
        .filter(Boolean)
        .join('; '),
    ],
  },
  { title: 'Immunizations', types: ['Immunization'], row: (r) => [text(r.vaccineCode), r.status ?? '', formatDate(r.occurrenceDateTime)] },
  { title: 'Results', types: ['Observation'], row: (r) => [text(r.code), quantity(r), formatDate(r.effectiveDateTime ?? r.issued)] },
];

function Summary({ bundle }: { bundle: Json }) {
  const all: Json[] = (bundle.entry ?? []).map((e: Json) => e.resource).filter(Boolean);
  const patient = all.find((r) => r.resourceType === 'Patient');
  return (
    <article class="ips" data-testid="ips">
      <h2>
        {name(patient) || 'Patient'} <span class="muted">{patient?.birthDate ? `born ${patient.birthDate}` : ''}</span>
      </h2>
      {SECTIONS.map((s) => {
        const rows = all.filter((r) => s.types.includes(r.resourceType));
        return (
          <section key={s.title} aria-label={s.title}>
            <h3>{s.title}</h3>
            {rows.length === 0 ? (
              <p class="muted">None recorded.</p>
            ) : (
              <table class="list">
                <tbody>
                  {rows.map((r, i) => {
                    const [a, b, c] = s.row(r);
                    return (
                      <tr key={r.id ?? i}>
                        <td>{a}</td>
                        <td>{b}</td>
                        <td>{c}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </section>
        );
      })}
    </article>
  );
}

function Viewer() {
  const parsed = useMemo(() => {
    try {
      return { link: parseShlink(location.hash) };
    } catch (error) {
      return { error };
    }
  }, []);
  const [recipient, setRecipient] = useState('');
  const [passcode, setPasscode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [docs, setDocs] = useState<Json[]>();
  useLayoutEffect(() => {
    document.body.dataset.app = 'ready';
    performance.mark('viewer-ready');
  }, []);
  if (!parsed.link) return <ErrorPanel error={parsed.error} what="The Health Link" />;
  const link = parsed.link;
  const expired = link.exp !== undefined && link.exp * 1000 < Date.now();
  const sameOrigin = new URL(link.url, location.href).origin === location.origin;
  const open = async (ev: Event) => {
    ev.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      let files: Json[];
      if (link.flag?.includes('U')) files = [{ contentType: 'application/fhir+json', location: `${link.url}?recipient=${encodeURIComponent(recipient)}` }];
      else {
        const manifest = await request<{ files?: Json[] }>(link.url, { json: { recipient, ...(link.flag?.includes('P') ? { passcode } : {}) } });
        files = manifest.files ?? [];
      }
      const out: Json[] = [];
      for (const f of files) {
        const { contentType, content } = await fetchFile(f, link.key);
        if (contentType === 'application/fhir+json') out.push(JSON.parse(content));
      }
      setPasscode('');
      setDocs(out);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <header class="top">
        <span class="brand">Health Link viewer</span>
      </header>
      <main>
        <h1>{link.label || 'Shared health summary'}</h1>
        {expired && <ErrorPanel error={new Error('This link has expired.')} what="The Health Link" />}
        {!sameOrigin && (
          <ErrorPanel error={new Error('This viewer opens links of its own bridge only; open the link with its own viewer.')} what="The Health Link" />
        )}
        {!docs && !expired && sameOrigin && (
          <form onSubmit={open} class="card narrow">
            <label for="v-recipient">Your name and organisation (shown to the patient in their access log)</label>
            <input id="v-recipient" value={recipient} onInput={(e) => setRecipient(e.currentTarget.value)} required autocomplete="name" />
            {link.flag?.includes('P') && (
              <>
                <label for="v-pass">Passcode (from the patient)</label>
                <input id="v-pass" type="password" value={passcode} onInput={(e) => setPasscode(e.currentTarget.value)} required autocomplete="off" />
              </>
            )}
            <button type="submit" class="primary" disabled={busy}>
              Open the summary
            </button>
          </form>
        )}
        <Status>{busy ? 'Opening…' : docs ? `${docs.length} document(s) decrypted in this browser.` : ''}</Status>
        {error !== undefined && <ErrorPanel error={error} what="The shared summary" />}
        {docs?.map((d, i) => (
          <Summary key={i} bundle={d} />
        ))}
      </main>
    </>
  );
}

render(<Viewer />, document.getElementById('app')!);

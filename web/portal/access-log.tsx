/**
 * Who looked at the person's records (`GET /fhir/AuditEvent` with the patient token) and whether each record is anchored,
 * as each entry's `audit-anchor` extension says (pending, or anchored with its block and transaction; the receipt to
 * verify it with is at the extension's `receipt` URL, `GET /anchors/audit/{hash}`).
 */
import { useEffect, useState } from 'preact/hooks';
import { request, resources } from '../shared/api';
import { ErrorPanel, formatDate, Status } from '../shared/ui';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const PAGE = 50;

export function auditHash(ev: Json): string | undefined {
  const ext = (ev.extension ?? []).find((x: Json) => typeof x.url === 'string' && x.url.endsWith('audit-hash'));
  return ext?.valueString ?? ext?.valueCode ?? ext?.valueId;
}

function agentName(ev: Json): string {
  const agents: Json[] = ev.agent ?? [];
  const a = agents.find((x) => x.requestor) ?? agents[0];
  return a?.who?.display ?? a?.name ?? a?.who?.reference ?? 'unknown';
}

function breakGlass(ev: Json): boolean {
  const codes = [...(ev.purposeOfEvent ?? []), ...(ev.agent ?? []).flatMap((a: Json) => a.purposeOfUse ?? [])].flatMap((c: Json) => c.coding ?? []);
  return (
    codes.some((c: Json) => c.code === 'BTG' || c.code === 'ETREAT' || c.code === 'break-glass') ||
    (ev.extension ?? []).some((x: Json) => /break-?glass/i.test(x.url ?? ''))
  );
}

const ANCHOR_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/audit-anchor';

/** The entry's anchoring state from its `audit-anchor` complex extension (sub-extensions by url). */
export function anchorState(ev: Json): { status?: string; block?: number; tx?: string; receipt?: string } {
  const ext = (ev.extension ?? []).find((x: Json) => x.url === ANCHOR_EXTENSION);
  const sub = (url: string): Json | undefined => (ext?.extension ?? []).find((x: Json) => x.url === url);
  return { status: sub('status')?.valueCode, block: sub('block')?.valueInteger, tx: sub('transaction')?.valueString, receipt: sub('receipt')?.valueUrl };
}

const CHAIN_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/audit-chain';

/** The entry's place in the person's audit chain in the verifiable log (`audit-chain` extension). */
export function chainState(ev: Json): { status?: string; seq?: number } {
  const ext = (ev.extension ?? []).find((x: Json) => x.url === CHAIN_EXTENSION);
  const sub = (url: string): Json | undefined => (ext?.extension ?? []).find((x: Json) => x.url === url);
  return { status: sub('status')?.valueCode, seq: sub('seq')?.valueInteger };
}

/** "#12 in your chain · logged · anchored": how far the log vouches for this entry. */
export function chainLabel(ev: Json): string | undefined {
  const c = chainState(ev);
  if (!c.status) return undefined;
  if (c.status === 'queued') return 'waiting for the log';
  const where = c.seq !== undefined ? `#${c.seq} in your chain` : 'not in a personal chain';
  return c.status === 'anchored' ? `${where} · logged · anchored` : `${where} · logged`;
}

function Verify({ ev }: { ev: Json }) {
  const a = anchorState(ev);
  if (a.status === 'anchored')
    return (
      <span class="ok" data-testid="anchored">
        anchored in block {a.block}, tx <code title={a.tx}>{a.tx?.slice(0, 12)}…</code>{' '}
        {a.receipt && (
          <a href={a.receipt} target="_blank" rel="noreferrer">
            receipt
          </a>
        )}
      </span>
    );
  if (a.status === 'pending') return <span class="pending">pending anchoring</span>;
  return <span class="bad">{auditHash(ev) ? 'anchoring state unknown' : 'no hash'}</span>;
}

/** The resource types an entry disclosed (its system-object entity's `resourceTypes` detail), else its entities' types. */
function disclosedTypes(ev: Json): string {
  const detail = (ev.entity ?? []).flatMap((e: Json) => e.detail ?? []).find((d: Json) => d.type === 'resourceTypes');
  if (detail?.valueString) return String(detail.valueString).split(',').join(', ');
  return [...new Set((ev.entity ?? []).map((e: Json) => e.what?.reference?.split('/')[0]).filter(Boolean))].join(', ');
}

/** A page link of the searchset, as a same-origin path (its links carry the snapshot instant, so pages never shift). */
function linkPath(bundle: Json, relation: string): string | undefined {
  const url = (bundle.link ?? []).find((l: Json) => l.relation === relation)?.url;
  if (!url) return undefined;
  const u = new URL(url, location.origin);
  return u.origin === location.origin ? `${u.pathname}${u.search}` : undefined;
}

export function AccessLog({ token }: { token: string }) {
  const [path, setPath] = useState(`/fhir/AuditEvent?_count=${PAGE}`);
  const [page, setPage] = useState<{ events: Json[]; total?: number; next?: string; previous?: string }>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setPage(undefined);
    request<Json>(path, { token }).then(
      (b) => setPage({ events: resources(b), total: b.total, next: linkPath(b, 'next'), previous: linkPath(b, 'previous') }),
      setError,
    );
  }, [token, path]);
  if (error) return <ErrorPanel error={error} what="The access log" />;
  return (
    <section aria-labelledby="al-h">
      <h1 tabIndex={-1} id="al-h">
        Who looked at your records
      </h1>
      {!page ? (
        <Status>Loading the access log…</Status>
      ) : (
        <>
          <Status>{page.total !== undefined ? `${page.total} accesses` : `${page.events.length} accesses on this page`}</Status>
          <table class="list" data-testid="access-log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Why</th>
                <th scope="col">Outcome</th>
                <th scope="col">Verification</th>
              </tr>
            </thead>
            <tbody>
              {page.events.map((ev, i) => (
                <tr key={ev.id ?? i} class={breakGlass(ev) ? 'break-glass' : undefined}>
                  <td>{formatDate(ev.recorded)}</td>
                  <td>{agentName(ev)}</td>
                  <td>
                    {(ev.subtype ?? []).map((s: Json) => s.display ?? s.code).join(', ')} <span class="muted">{disclosedTypes(ev)}</span>
                  </td>
                  <td>
                    {breakGlass(ev) && <strong class="bad">Break-glass </strong>}
                    {(ev.purposeOfEvent ?? []).map((p: Json) => p.text ?? p.coding?.[0]?.display ?? p.coding?.[0]?.code).join(', ')}
                  </td>
                  <td>{ev.outcome === '0' || ev.outcome === undefined ? 'allowed' : 'refused'}</td>
                  <td>
                    <Verify ev={ev} />
                    {chainLabel(ev) && (
                      <div class="muted" data-testid="chain-state">
                        {chainLabel(ev)}
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav aria-label="Access log pages" class="pager">
            <button type="button" disabled={!page.previous} onClick={() => page.previous && setPath(page.previous)}>
              Newer
            </button>
            <button type="button" disabled={!page.next} onClick={() => page.next && setPath(page.next)}>
              Older
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

/**
 * Who looked at the person's records (`GET /fhir/AuditEvent` with the patient token) and whether each record is anchored
 * (`GET /anchors/audit/{hash}`: pending, or anchored with its block and transaction).
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

type Verification = { status: 'pending' } | { status: 'anchored'; receipt: { blockNumber?: number; txHash?: string } } | { status: 'error'; message: string };

function Verify({ hash }: { hash: string | undefined }) {
  const [v, setV] = useState<Verification>();
  useEffect(() => {
    if (!hash) return;
    request<Verification>(`/anchors/audit/${encodeURIComponent(hash)}`).then(setV, (e: Error) => setV({ status: 'error', message: e.message }));
  }, [hash]);
  if (!hash) return <span class="muted">no hash</span>;
  if (!v) return <span class="muted">checking…</span>;
  if (v.status === 'anchored')
    return (
      <span class="ok" data-testid="anchored">
        anchored in block {v.receipt.blockNumber}, tx <code title={v.receipt.txHash}>{v.receipt.txHash?.slice(0, 12)}…</code>
      </span>
    );
  if (v.status === 'pending') return <span class="pending">pending anchoring</span>;
  return <span class="bad">not verifiable ({v.message})</span>;
}

export function AccessLog({ token }: { token: string }) {
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ events: Json[]; total?: number }>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setPage(undefined);
    request<Json>(`/fhir/AuditEvent?_count=${PAGE}&_offset=${offset}`, { token }).then((b) => setPage({ events: resources(b), total: b.total }), setError);
  }, [token, offset]);
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
                    {(ev.subtype ?? []).map((s: Json) => s.display ?? s.code).join(', ')}{' '}
                    <span class="muted">
                      {[...new Set((ev.entity ?? []).map((e: Json) => e.type?.display ?? e.what?.reference?.split('/')[0]).filter(Boolean))].join(', ')}
                    </span>
                  </td>
                  <td>
                    {breakGlass(ev) && <strong class="bad">Break-glass </strong>}
                    {(ev.purposeOfEvent ?? []).map((p: Json) => p.text ?? p.coding?.[0]?.display ?? p.coding?.[0]?.code).join(', ')}
                  </td>
                  <td>{ev.outcome === '0' || ev.outcome === undefined ? 'allowed' : 'refused'}</td>
                  <td>
                    <Verify hash={auditHash(ev)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav aria-label="Access log pages" class="pager">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              Newer
            </button>
            <button type="button" disabled={page.events.length < PAGE} onClick={() => setOffset(offset + PAGE)}>
              Older
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

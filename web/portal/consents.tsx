/**
 * Consents the person gives clinics (FHIR R4 Consent, `POST /fhir/Consent`; revoke = `PUT` with status inactive) and
 * the clinics' consent requests (`GET /fhir/Task`, `$approve` / `$decline`). "Everything except sensitive" is a permit
 * with a nested deny provision labelled with HL7 v3 ActCode sensitivity codes (_InformationSensitivityPolicy).
 */
import { useEffect, useState } from 'preact/hooks';
import { request, resources } from '../shared/api';
import { ErrorPanel, formatDate, Status } from '../shared/ui';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
/** Sensitive information categories denied by "everything except sensitive" (v3 ActCode _InformationSensitivityPolicy). */
export const SENSITIVE = ['ETH', 'GDIS', 'HIV', 'PSY', 'SCA', 'SDV', 'SEX', 'STD'];

export function consentResource(patient: string, clinicId: string, category: 'everything' | 'except-sensitive', start: string, end: string): Json {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${patient}` },
    dateTime: new Date().toISOString(),
    policyRule: { coding: [{ system: ACT_CODE, code: 'OPTIN' }] },
    provision: {
      type: 'permit',
      period: { start, ...(end ? { end } : {}) },
      actor: [
        {
          role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
          reference: { reference: `Organization/${clinicId}` },
        },
      ],
      ...(category === 'except-sensitive' ? { provision: [{ type: 'deny', securityLabel: SENSITIVE.map((code) => ({ system: ACT_CODE, code })) }] } : {}),
    },
  };
}

const actorOf = (c: Json): string | undefined => c.provision?.actor?.[0]?.reference?.reference?.replace(/^Organization\//, '');

export function Consents({ token, patient }: { token: string; patient: string }) {
  const [consents, setConsents] = useState<Json[]>();
  const [orgs, setOrgs] = useState<Json[]>([]);
  const [tasks, setTasks] = useState<Json[]>();
  const [error, setError] = useState<unknown>();
  const [taskError, setTaskError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [status, setStatus] = useState('');
  const [clinic, setClinic] = useState('');
  const [category, setCategory] = useState<'everything' | 'except-sensitive'>('everything');
  const [start, setStart] = useState(new Date().toISOString().slice(0, 10));
  const [end, setEnd] = useState('');
  const load = () => {
    request(`/fhir/Consent?_count=100`, { token }).then((b) => setConsents(resources(b)), setError);
    request(`/fhir/Organization?_count=200`, { token }).then((b) => setOrgs(resources(b)), setError);
    request(`/fhir/Task?_count=100`, { token }).then((b) => setTasks(resources(b)), setTaskError);
  };
  useEffect(load, [token]);
  const act = async (what: string, f: () => Promise<unknown>) => {
    setActionError(undefined);
    setStatus(`${what}…`);
    try {
      await f();
      setStatus(`${what}: done.`);
      load();
    } catch (e) {
      setStatus('');
      setActionError(e);
    }
  };
  const orgName = (id: string | undefined) => orgs.find((o) => o.id === id)?.name ?? id ?? 'unknown clinic';
  const grant = (ev: Event) => {
    ev.preventDefault();
    if (!clinic) return;
    void act('Granting consent', () => request('/fhir/Consent', { token, json: consentResource(patient, clinic, category, start, end) }));
  };
  const revoke = (c: Json) =>
    act('Revoking consent', () => request(`/fhir/Consent/${encodeURIComponent(c.id)}`, { method: 'PUT', token, json: { ...c, status: 'inactive' } }));
  if (error) return <ErrorPanel error={error} what="Consents" />;
  return (
    <section aria-labelledby="co-h">
      <h1 tabIndex={-1} id="co-h">
        Who may see your records
      </h1>
      <Status>{status}</Status>
      {actionError !== undefined && <ErrorPanel error={actionError} what="That change" />}
      {!consents ? (
        <Status>Loading consents…</Status>
      ) : (
        <table class="list" data-testid="consents">
          <thead>
            <tr>
              <th scope="col">Clinic</th>
              <th scope="col">What</th>
              <th scope="col">From</th>
              <th scope="col">Until</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {consents.map((c) => (
              <tr key={c.id}>
                <td>{orgName(actorOf(c))}</td>
                <td>{c.provision?.provision?.length ? 'everything except sensitive' : 'everything'}</td>
                <td>{formatDate(c.provision?.period?.start)}</td>
                <td>{formatDate(c.provision?.period?.end)}</td>
                <td>{c.status}</td>
                <td>
                  {c.status === 'active' && (
                    <button type="button" onClick={() => revoke(c)} aria-label={`Revoke consent for ${orgName(actorOf(c))}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={grant} class="card" aria-labelledby="grant-h">
        <h2 id="grant-h">Let a clinic see your records</h2>
        <label for="co-clinic">Clinic</label>
        <select id="co-clinic" value={clinic} onChange={(e) => setClinic(e.currentTarget.value)} required>
          <option value="">choose a clinic</option>
          {orgs.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
        <label for="co-cat">What</label>
        <select id="co-cat" value={category} onChange={(e) => setCategory(e.currentTarget.value as never)}>
          <option value="everything">everything</option>
          <option value="except-sensitive">everything except sensitive information</option>
        </select>
        <label for="co-start">From</label>
        <input id="co-start" type="date" value={start} onInput={(e) => setStart(e.currentTarget.value)} required />
        <label for="co-end">Until (optional)</label>
        <input id="co-end" type="date" value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
        <button type="submit" class="primary">
          Grant consent
        </button>
      </form>
      <h2>Requests from clinics</h2>
      {taskError ? (
        <ErrorPanel error={taskError} what="Consent requests" />
      ) : !tasks ? (
        <Status>Loading requests…</Status>
      ) : tasks.length === 0 ? (
        <p>No requests.</p>
      ) : (
        <ul class="cards" data-testid="requests">
          {tasks.map((t) => (
            <li key={t.id} class="card">
              <strong>{t.requester?.display ?? orgName(t.requester?.reference?.replace(/^Organization\//, ''))}</strong> asks:{' '}
              {t.description ?? 'access to your records'} <span class="muted">({t.status})</span>
              {(t.status === 'requested' || t.status === 'received') && (
                <span class="actions">
                  <button type="button" onClick={() => act('Approving', () => request(`/fhir/Task/${encodeURIComponent(t.id)}/$approve`, { token, json: {} }))}>
                    Approve
                  </button>
                  <button type="button" onClick={() => act('Declining', () => request(`/fhir/Task/${encodeURIComponent(t.id)}/$decline`, { token, json: {} }))}>
                    Decline
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * The person's timeline across clinics (`GET /patients/{id}/history`, shape of bridge/pull/timeline.ts): plots of the
 * numeric values over time, one per code and canonical UCUM unit, and a list. performance marks `timeline-fetch` and
 * `timeline-rendered` (measure `timeline`) let the bench time it.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { request } from '../shared/api';
import { ErrorPanel, formatDate, Status } from '../shared/ui';

interface Coding {
  system: string | null;
  code: string;
  display: string | null;
}
export interface TimelineEvent {
  domain: string;
  resourceType: string;
  resourceId: string;
  componentIndex?: number;
  status: string | null;
  code: Coding | null;
  value: { num: number | null; unit: string | null; unitStatus: string | null; comparator: string | null; text: string | null; code: Coding | null } | null;
  text: string | null;
  start: string | null;
  end: string | null;
  clinic: { id: string; name: string };
}
interface Timeline {
  events: TimelineEvent[];
}

interface Series {
  key: string;
  title: string;
  unit: string;
  xs: number[];
  ys: number[];
}

/** Numeric values grouped by code + unit (canonical units already from the universal schema), oldest first. */
export function seriesOf(events: TimelineEvent[]): Series[] {
  const groups = new Map<string, Series>();
  for (const e of events) {
    const v = e.value;
    if (!v || v.num === null || !e.code || !e.start) continue;
    const t = Date.parse(e.start);
    if (Number.isNaN(t)) continue;
    const unit = v.unit ?? '';
    const key = `${e.code.system ?? ''}|${e.code.code}|${unit}`;
    let s = groups.get(key);
    if (!s) groups.set(key, (s = { key, title: e.code.display ?? e.code.code, unit, xs: [], ys: [] }));
    s.xs.push(t / 1000);
    s.ys.push(v.num);
  }
  const out = [...groups.values()];
  for (const s of out) {
    const order = s.xs.map((_, i) => i).sort((a, b) => s.xs[a] - s.xs[b]);
    s.xs = order.map((i) => s.xs[i]);
    s.ys = order.map((i) => s.ys[i]);
  }
  return out.sort((a, b) => b.xs.length - a.xs.length || a.title.localeCompare(b.title));
}

function Plot({ series }: { series: Series }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (!ref.current) return;
    const plot = new uPlot(
      {
        width: 440,
        height: 200,
        title: undefined,
        scales: { x: { time: true } },
        series: [{}, { label: series.unit || 'value', stroke: '#1f5fa8', width: 2, points: { show: true, size: 5 } }],
        axes: [{}, { label: series.unit }],
        legend: { show: false },
      },
      [series.xs, series.ys],
      ref.current,
    );
    return () => plot.destroy();
  }, [series]);
  const last = series.ys[series.ys.length - 1];
  return (
    <figure class="plot" data-testid="plot">
      <figcaption>
        {series.title}{' '}
        <span class="muted">
          ({series.unit || 'no unit'}; latest {last}, {series.xs.length} values)
        </span>
      </figcaption>
      <div ref={ref} role="img" aria-label={`${series.title} over time, ${series.xs.length} values in ${series.unit || 'no unit'}`} />
    </figure>
  );
}

function valueText(e: TimelineEvent): string {
  const v = e.value;
  if (!v) return e.text ?? '';
  if (v.num !== null) return `${v.comparator ?? ''}${v.num} ${v.unit ?? ''}`.trim();
  return v.code?.display ?? v.code?.code ?? v.text ?? '';
}

const MAX_PLOTS = 12;

export function TimelineView({ token, patient }: { token: string; patient: string }) {
  const [data, setData] = useState<Timeline>();
  const [error, setError] = useState<unknown>();
  const [domain, setDomain] = useState('');
  const [view, setView] = useState<'plots' | 'list'>('plots');
  useEffect(() => {
    performance.mark('timeline-fetch');
    request<Timeline>(`/patients/${encodeURIComponent(patient)}/history`, { token }).then(setData, setError);
  }, [token, patient]);
  const series = useMemo(() => (data ? seriesOf(data.events) : []), [data]);
  const events = useMemo(() => {
    const list = data ? data.events.filter((e) => !domain || e.domain === domain) : [];
    return [...list].sort((a, b) => (b.start ?? '').localeCompare(a.start ?? ''));
  }, [data, domain]);
  const domains = useMemo(() => [...new Set((data?.events ?? []).map((e) => e.domain))].sort(), [data]);
  const clinics = useMemo(() => [...new Set((data?.events ?? []).map((e) => e.clinic.name))].sort(), [data]);
  useLayoutEffect(() => {
    if (!data) return;
    performance.mark('timeline-rendered');
    performance.measure('timeline', 'timeline-fetch', 'timeline-rendered');
    document.body.dataset.timeline = 'ready';
  }, [data]);
  if (error) return <ErrorPanel error={error} what="Your timeline" />;
  if (!data) return <Status>Loading your timeline…</Status>;
  return (
    <section aria-labelledby="tl-h">
      <h1 tabIndex={-1} id="tl-h">
        Your timeline
      </h1>
      <Status>
        {data.events.length} entries from {clinics.length} {clinics.length === 1 ? 'clinic' : 'clinics'}: {clinics.join(', ')}
      </Status>
      <div class="tabs" role="group" aria-label="Timeline view">
        <button type="button" aria-pressed={view === 'plots'} onClick={() => setView('plots')}>
          Plots
        </button>
        <button type="button" aria-pressed={view === 'list'} onClick={() => setView('list')}>
          List
        </button>
      </div>
      {view === 'plots' ? (
        <div class="plots">
          {series.length === 0 && <p>No measured values yet.</p>}
          {series.slice(0, MAX_PLOTS).map((s) => (
            <Plot key={s.key} series={s} />
          ))}
          {series.length > MAX_PLOTS && <p class="muted">{series.length - MAX_PLOTS} more measured values are in the list.</p>}
        </div>
      ) : null}
      {view === 'list' || series.length === 0 ? null : <h2>All entries</h2>}
      <label for="tl-domain">Show</label>
      <select id="tl-domain" value={domain} onChange={(e) => setDomain(e.currentTarget.value)}>
        <option value="">everything</option>
        {domains.map((d) => (
          <option value={d} key={d}>
            {d.replace(/_/g, ' ')}
          </option>
        ))}
      </select>
      <table class="list" data-testid="timeline-list">
        <caption class="sr-only">Timeline entries, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Kind</th>
            <th scope="col">What</th>
            <th scope="col">Value</th>
            <th scope="col">Clinic</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={`${e.resourceType}/${e.resourceId}/${e.componentIndex ?? ''}`}>
              <td>{formatDate(e.start)}</td>
              <td>{e.domain.replace(/_/g, ' ')}</td>
              <td>{e.code?.display ?? e.code?.code ?? e.text ?? e.resourceType}</td>
              <td>{valueText(e)}</td>
              <td>{e.clinic.name}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

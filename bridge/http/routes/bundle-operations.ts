/**
 * Operation entries of a transaction or batch (R4 http.html#transaction), answered after the push, as the pushing
 * session, through the same access-layer calls (and so the same policy, scopes and audit) as their own routes:
 * `$validate`, `$meta`, `Patient/{id}/$everything`, `Patient/{id}/$summary`, `Patient/$match`.
 */
import type { Meta, Resource } from '@medplum/fhirtypes';
import { matchPatients } from '../../access/match';
import { summaryOf, everythingOf } from '../../access/pulls';
import { readMetaInUse, readOne } from '../../access/reads';
import { checkScope } from '../../access/scope-check';
import type { AccessServices } from '../../access/services';
import type { Session } from '../../access/session';
import { matchBundle } from '../../fhir/match-bundle';
import { parseMatchParameters } from '../../fhir/match-params';
import { outcomes } from '../../fhir/outcome';
import type { BundleOperationCall } from '../../fhir/plan';
import { validateRequestOf, validationOutcome } from '../../fhir/validate-operation';
import { pagedUrl, readQuery } from '../toolkit';
import { everythingRequest } from './pull';

/** A bundle entry's parameters as a query: a name given once is a string, as Express parses a URL. */
const asQuery = (params: Record<string, string[]>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));

const metaParameters = (meta: Meta): Resource => ({ resourceType: 'Parameters', parameter: [{ name: 'return', valueMeta: meta }] });

/** The resource answering `call` for `session` (`base`: the FHIR base URL of the links it holds); FhirError otherwise. */
export async function runBundleOperation(svc: AccessServices, session: Session, base: string, call: BundleOperationCall): Promise<Resource> {
  const query = asQuery(call.params);
  const type = call.resourceType;
  switch (call.name) {
    case 'validate': {
      const mode = readQuery(query, ['mode'], '$validate').string('mode');
      return validationOutcome(validateRequestOf(call.input, type as string, call.id, mode));
    }
    case 'meta': {
      readQuery(query, [], '$meta');
      await checkScope(svc, session, type ?? '*', 'read');
      if (!call.id) {
        const meta = await readMetaInUse(svc, session, type);
        return metaParameters(Object.fromEntries(Object.entries(meta).filter(([, v]) => (v as unknown[]).length)) as Meta);
      }
      const stored = await readOne(svc, session, type as string, call.id);
      if (!stored) throw outcomes.notFound(`${type}/${call.id} is not known`);
      if (stored.deleted) throw outcomes.gone(`${type}/${call.id} was deleted`);
      return metaParameters((stored.content as { meta?: Meta }).meta ?? {});
    }
    case 'everything': {
      // A person's whole record spans every type (as the route: system/*.r or .rs).
      await checkScope(svc, session, '*', 'read');
      const request = everythingRequest(query);
      const pageUrl = pagedUrl(`${base}/Patient/${call.id}/$everything`, query, request.count);
      const page = await everythingOf(svc, session, call.id as string, request, base, pageUrl);
      return JSON.parse(page.parts.join('')) as Resource;
    }
    case 'summary':
      readQuery(query, [], '$summary');
      await checkScope(svc, session, '*', 'read');
      return summaryOf(svc, session, call.id as string);
    case 'match': {
      readQuery(query, [], 'Patient/$match');
      await checkScope(svc, session, 'Patient', 'search');
      const request = parseMatchParameters(call.input);
      const result = await matchPatients(svc, session, request);
      return matchBundle(base, request.patient, result.answers, result.note);
    }
  }
}

/**
 * `$validate` (R4 resource-operation-validate.html): what the request asks, from its body (the resource itself, or a
 * Parameters with `resource`, `mode` and `profile`) and its URL. Pure; the answer is an OperationOutcome with 200
 * whether or not the resource is valid (4xx only when the validation cannot be performed).
 */
import type { OperationOutcome, Parameters, Resource } from '@medplum/fhirtypes';
import { informational, issueOf, operationOutcome, outcomes, type Issue } from './outcome';
import { resourceIssues } from './validate';

export type ValidateMode = 'create' | 'update';

export interface ValidateRequest {
  resource: Resource;
  mode: ValidateMode | undefined;
}

/** The resource and mode of a $validate call on `type` (and instance `id`); 400 for what cannot be validated. */
export function validateRequestOf(body: unknown, type: string, id: string | undefined, queryMode: unknown): ValidateRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw outcomes.invalid('send the resource to validate, or a Parameters with a resource parameter');
  let resource = body as Resource;
  let mode: unknown = queryMode;
  if ((body as Resource).resourceType === 'Parameters' && type !== 'Parameters') {
    const params = (body as Parameters).parameter ?? [];
    const named = (name: string) => params.filter((p) => p.name === name);
    if (named('profile').length)
      throw outcomes.notSupported('$validate against a profile is not supported: the bridge validates against the base FHIR R4 definitions');
    const given = named('resource');
    if (given.length !== 1 || !given[0].resource) throw outcomes.invalid('a $validate Parameters needs exactly one resource parameter');
    resource = given[0].resource;
    mode = named('mode')[0]?.valueCode ?? mode;
  }
  if (mode !== undefined && mode !== 'create' && mode !== 'update') {
    throw outcomes.notSupported(`$validate mode "${String(mode)}" is not supported (create or update; delete is not validated)`);
  }
  if (resource.resourceType !== type) throw outcomes.invalid(`the resource is a ${String(resource.resourceType)}, not a ${type}`);
  if (id !== undefined && resource.id !== undefined && resource.id !== id) throw outcomes.invalid(`the resource's id "${resource.id}" is not "${id}"`);
  return { resource, mode: (mode as ValidateMode | undefined) ?? (id !== undefined ? 'update' : undefined) };
}

/** The OperationOutcome of a $validate: every issue the bridge would refuse the write for, or all OK. */
export function validationOutcome(req: ValidateRequest): OperationOutcome {
  const issues: Issue[] = resourceIssues(req.resource);
  if (req.mode === 'update' && !req.resource.id) issues.push(issueOf('required', 'an update needs the resource id', `${req.resource.resourceType}.id`));
  if (!issues.length) return informational(`${req.resource.resourceType} is valid${req.mode ? ` for ${req.mode}` : ''}`);
  return operationOutcome(issues);
}

/**
 * JSON Patch (RFC 6902) of a FHIR resource (R4 http.html#patch), pure, with fast-json-patch: a document that is not a
 * patch is 400; a patch that cannot be applied to this resource (an unresolvable path, a failed `test`) is 422, as is
 * one that would change the resource's type or id. The result is then validated and written like any update.
 */
import { applyPatch, JsonPatchError, validate, type Operation } from 'fast-json-patch';
import { outcomes } from './outcome';

/** The operations of a JSON Patch document (an array of operation objects), checked for form; else 400. */
export function parseJsonPatch(body: unknown): Operation[] {
  if (!Array.isArray(body)) throw outcomes.invalid('a JSON Patch document is an array of operations (RFC 6902 §3)');
  const error = validate(body as Operation[]);
  if (error) throw outcomes.invalid(`JSON Patch operation ${Number(error.index) + 1}: ${describe(error)}`);
  return body as Operation[];
}

function describe(e: JsonPatchError): string {
  const first = e.message.split('\n')[0];
  return first.replace(/^[A-Z_]+: /, '');
}

/** `resource` with `ops` applied; the original is left as it was. */
export function applyJsonPatch(resource: Record<string, unknown>, ops: Operation[]): Record<string, unknown> {
  let patched: unknown;
  try {
    // validate each operation against the document; never mutate it; refuse __proto__ and constructor paths.
    patched = applyPatch(resource, ops, true, false, true).newDocument;
  } catch (e) {
    if (e instanceof JsonPatchError) {
      const at = e.index !== undefined ? `operation ${Number(e.index) + 1}: ` : '';
      throw outcomes.businessRule(`the patch cannot be applied: ${at}${e.name === 'TEST_OPERATION_FAILED' ? 'its test failed' : describe(e)}`);
    }
    throw outcomes.businessRule('the patch cannot be applied');
  }
  const p = patched as Record<string, unknown> | null;
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw outcomes.businessRule('the patch does not leave a resource');
  if (p.resourceType !== resource.resourceType || p.id !== resource.id) throw outcomes.businessRule('a patch may not change resourceType or id');
  return p;
}

/**
 * DocumentReference and Composition → one `document` row: document type (LOINC preferred), category, time,
 * attachment metadata. Inline attachment data is not copied (the resource table keeps the source).
 */
import type { Attachment, Composition, DocumentReference } from '@medplum/fhirtypes';
import { conceptCode } from './codes';
import { baseRow, refString } from './common';
import { fhirTimeRange, periodRange } from './time';
import type { DocumentRow } from './types';

function attachmentMeta(a: Attachment): Record<string, unknown> {
  const { data: _data, ...meta } = a;
  return meta;
}

export function normalizeDocumentReference(r: DocumentReference): DocumentRow[] {
  // The clinical time is the period the document covers; fall back to when it was written.
  const covered = periodRange(r.context?.period);
  const time = covered.start || covered.end ? covered : fhirTimeRange(r.date);
  const attachments = (r.content ?? [])
    .map((c) => c?.attachment)
    .filter((a): a is Attachment => !!a)
    .map(attachmentMeta);
  const title = attachments.map((a) => a.title).find((t): t is string => typeof t === 'string') ?? null;
  return [
    {
      ...baseRow('DocumentReference', 'document', r.status, r.type, time, r.description ?? null),
      domain: 'document',
      category: conceptCode(r.category?.[0]),
      docStatus: r.docStatus ?? null,
      title,
      attachments: attachments.length ? attachments : null,
      encounterRef: refString(r.context?.encounter?.[0]),
    },
  ];
}

export function normalizeComposition(r: Composition): DocumentRow[] {
  return [
    {
      ...baseRow('Composition', 'document', r.status, r.type, fhirTimeRange(r.date), r.title ?? null),
      domain: 'document',
      category: conceptCode(r.category?.[0]),
      docStatus: null,
      title: r.title ?? null,
      attachments: null,
      encounterRef: refString(r.encounter),
    },
  ];
}

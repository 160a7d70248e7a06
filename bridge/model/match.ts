/** Plain types shared by Patient/$match's scoring (bridge/fhir/match-score.ts) and its retrieval (bridge/store/match.ts). */

/** One side of a comparison: the caller's Patient or a stored record, normalized the same way (bridge/normalize/patient.ts). */
export interface MatchFields {
  family: string | null;
  given: string[];
  /** FHIR date: YYYY, YYYY-MM or YYYY-MM-DD. */
  birthDate: string | null;
  gender: string | null;
  postalCode: string | null;
  city: string | null;
  country: string | null;
  phones: string[];
  emails: string[];
}

export interface MatchIdentifier {
  system: string;
  value: string;
}

/** A stored patient record found by blocking. */
export interface CandidateRecord extends MatchFields {
  patientId: string;
  clinicId: string;
  personId: string;
  identifiers: MatchIdentifier[];
}

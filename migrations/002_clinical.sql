-- 002_clinical.sql: universal clinical domain tables (OMOP-CDM-like), fed by bridge/normalize.
-- Every row points at its source resource (resource_id); a resource's rows are replaced as a whole on update.
-- Requires clinic, resource and patient from 001_core.sql. Forward-only; applied in one transaction by the runner.

create table encounter (
  id bigint generated always as identity primary key,
  resource_id uuid not null references resource(id) on delete cascade,
  clinic_id uuid not null references clinic(id),
  patient_id uuid null references patient(id) on delete set null,
  resource_type text not null,
  status text,
  code_system text,
  code text,
  code_display text,
  original_codes jsonb,
  start_time timestamptz,
  end_time timestamptz,
  value_type text,
  value_num double precision,
  value_unit text,
  value_orig numeric,
  unit_orig text,
  unit_status text,
  value_comparator text,
  value_text text,
  value_code_system text,
  value_code text,
  value_code_display text,
  value_json jsonb,
  text text,
  class_system text,
  class_code text,
  class_display text,
  service_type text,
  reason_code_system text,
  reason_code text,
  reason_display text,
  discharge_disposition text,
  service_provider_ref text
);
create index encounter_patient_time_idx on encounter (patient_id, start_time);
create index encounter_code_idx on encounter (code_system, code);
create index encounter_resource_idx on encounter (resource_id);
comment on table encounter is 'One row per Encounter: type as code, class, period.';
comment on column encounter.resource_id is 'Source FHIR resource (current version); its rows are replaced when the resource is updated.';
comment on column encounter.clinic_id is 'Clinic that sent the source resource.';
comment on column encounter.patient_id is 'Patient record (one clinic''s) the fact is about; null when the resource names no Patient.';
comment on column encounter.resource_type is 'FHIR resourceType of the source.';
comment on column encounter.status is 'FHIR status code of the source (for Condition/AllergyIntolerance: the clinical status).';
comment on column encounter.code_system is 'Canonical code-system URI of the picked coding (e.g. http://loinc.org; OIDs and aliases mapped).';
comment on column encounter.code is 'Code of the picked coding (preferred system per domain).';
comment on column encounter.code_display is 'Display of the picked coding, else the concept text.';
comment on column encounter.original_codes is 'Every coding as sent ({coding:[{system,version,code,display}], text}), unmodified.';
comment on column encounter.start_time is 'Start of the clinical time span in UTC (partial dates: start of the period).';
comment on column encounter.end_time is 'End of the span in UTC, inclusive (partial dates: last millisecond of the period; equal to start_time for an instant; null when open).';
comment on column encounter.value_type is 'FHIR value[x] type: Quantity, CodeableConcept, string, boolean, integer, Range, Ratio, SampledData, time, dateTime, Period.';
comment on column encounter.value_num is 'Numeric value in the canonical unit value_unit (see unit_status).';
comment on column encounter.value_unit is 'Canonical UCUM unit of value_num (one per dimension: kg, m, L, g/L, mol/L, Cel, mm[Hg], /min, ...), or the unit as sent when not converted.';
comment on column encounter.value_orig is 'Numeric value exactly as sent.';
comment on column encounter.unit_orig is 'Unit code as sent (Quantity.code, else Quantity.unit).';
comment on column encounter.unit_status is 'converted | annotation | arbitrary | non_ucum | unknown_unit | no_canonical | no_unit: whether value_num is canonical.';
comment on column encounter.value_comparator is 'Quantity comparator as sent (<, <=, >=, >).';
comment on column encounter.value_text is 'Text form of the value (string values, booleans, coded display, rendered Range/Ratio).';
comment on column encounter.value_code_system is 'Canonical system of a coded value.';
comment on column encounter.value_code is 'Code of a coded value.';
comment on column encounter.value_code_display is 'Display of a coded value.';
comment on column encounter.value_json is 'Structured value without a scalar form (Range, Ratio, SampledData meta, Period; coded value''s original codings).';
comment on column encounter.text is 'Free text about the fact: notes, conclusion, description or the concept''s own text.';
comment on column encounter.class_system is 'Canonical system of Encounter.class (usually v3-ActCode).';
comment on column encounter.class_code is 'Encounter.class code: AMB, EMER, IMP, ...';
comment on column encounter.class_display is 'Encounter.class display.';
comment on column encounter.service_type is 'Encounter.serviceType label.';
comment on column encounter.reason_code_system is 'Canonical system of the first reasonCode (SNOMED preferred).';
comment on column encounter.reason_code is 'First reasonCode code.';
comment on column encounter.reason_display is 'First reasonCode display.';
comment on column encounter.discharge_disposition is 'hospitalization.dischargeDisposition code.';
comment on column encounter.service_provider_ref is 'Encounter.serviceProvider reference as stored.';

create table condition (
  id bigint generated always as identity primary key,
  resource_id uuid not null references resource(id) on delete cascade,
  clinic_id uuid not null references clinic(id),
  patient_id uuid null references patient(id) on delete set null,
  resource_type text not null,
  status text,
  code_system text,
  code text,
  code_display text,
  original_codes jsonb,
  start_time timestamptz,
  end_time timestamptz,
  value_type text,
  value_num double precision,
  value_unit text,
  value_orig numeric,
  unit_orig text,
  unit_status text,
  value_comparator text,
  value_text text,
  value_code_system text,
  value_code text,
  value_code_display text,
  value_json jsonb,
  text text,
  clinical_status text,
  verification_status text,
  category text,
  severity text,
  body_site text,
  onset_text text,
  abatement_text text,
  recorded_time timestamptz,
  encounter_ref text
);
create index condition_patient_time_idx on condition (patient_id, start_time);
create index condition_code_idx on condition (code_system, code);
create index condition_resource_idx on condition (resource_id);
comment on table condition is 'One row per Condition: problem/diagnosis code (SNOMED, then ICD-10-CM, ICD-10), onset to abatement.';
comment on column condition.resource_id is 'Source FHIR resource (current version); its rows are replaced when the resource is updated.';
comment on column condition.clinic_id is 'Clinic that sent the source resource.';
comment on column condition.patient_id is 'Patient record (one clinic''s) the fact is about; null when the resource names no Patient.';
comment on column condition.resource_type is 'FHIR resourceType of the source.';
comment on column condition.status is 'FHIR status code of the source (for Condition/AllergyIntolerance: the clinical status).';
comment on column condition.code_system is 'Canonical code-system URI of the picked coding (e.g. http://loinc.org; OIDs and aliases mapped).';
comment on column condition.code is 'Code of the picked coding (preferred system per domain).';
comment on column condition.code_display is 'Display of the picked coding, else the concept text.';
comment on column condition.original_codes is 'Every coding as sent ({coding:[{system,version,code,display}], text}), unmodified.';
comment on column condition.start_time is 'Start of the clinical time span in UTC (partial dates: start of the period).';
comment on column condition.end_time is 'End of the span in UTC, inclusive (partial dates: last millisecond of the period; equal to start_time for an instant; null when open).';
comment on column condition.value_type is 'FHIR value[x] type: Quantity, CodeableConcept, string, boolean, integer, Range, Ratio, SampledData, time, dateTime, Period.';
comment on column condition.value_num is 'Numeric value in the canonical unit value_unit (see unit_status).';
comment on column condition.value_unit is 'Canonical UCUM unit of value_num (one per dimension: kg, m, L, g/L, mol/L, Cel, mm[Hg], /min, ...), or the unit as sent when not converted.';
comment on column condition.value_orig is 'Numeric value exactly as sent.';
comment on column condition.unit_orig is 'Unit code as sent (Quantity.code, else Quantity.unit).';
comment on column condition.unit_status is 'converted | annotation | arbitrary | non_ucum | unknown_unit | no_canonical | no_unit: whether value_num is canonical.';
comment on column condition.value_comparator is 'Quantity comparator as sent (<, <=, >=, >).';
comment on column condition.value_text is 'Text form of the value (string values, booleans, coded display, rendered Range/Ratio).';
comment on column condition.value_code_system is 'Canonical system of a coded value.';
comment on column condition.value_code is 'Code of a coded value.';
comment on column condition.value_code_display is 'Display of a coded value.';
comment on column condition.value_json is 'Structured value without a scalar form (Range, Ratio, SampledData meta, Period; coded value''s original codings).';
comment on column condition.text is 'Free text about the fact: notes, conclusion, description or the concept''s own text.';
comment on column condition.clinical_status is 'clinicalStatus code: active, recurrence, relapse, inactive, remission, resolved.';
comment on column condition.verification_status is 'verificationStatus code: unconfirmed, provisional, differential, confirmed, refuted, entered-in-error.';
comment on column condition.category is 'First category code: problem-list-item, encounter-diagnosis, ...';
comment on column condition.severity is 'Severity label.';
comment on column condition.body_site is 'First bodySite label.';
comment on column condition.onset_text is 'onset[x] without a date (Age, Range, string), as text.';
comment on column condition.abatement_text is 'abatement[x] without a date, as text.';
comment on column condition.recorded_time is 'recordedDate in UTC.';
comment on column condition.encounter_ref is 'Encounter reference as stored.';

create table observation (
  id bigint generated always as identity primary key,
  resource_id uuid not null references resource(id) on delete cascade,
  clinic_id uuid not null references clinic(id),
  patient_id uuid null references patient(id) on delete set null,
  resource_type text not null,
  status text,
  code_system text,
  code text,
  code_display text,
  original_codes jsonb,
  start_time timestamptz,
  end_time timestamptz,
  value_type text,
  value_num double precision,
  value_unit text,
  value_orig numeric,
  unit_orig text,
  unit_status text,
  value_comparator text,
  value_text text,
  value_code_system text,
  value_code text,
  value_code_display text,
  value_json jsonb,
  text text,
  category text,
  component_index integer,
  interpretation text,
  ref_low double precision,
  ref_high double precision,
  data_absent_reason text,
  issued_time timestamptz,
  encounter_ref text
);
create index observation_patient_time_idx on observation (patient_id, start_time);
create index observation_code_idx on observation (code_system, code);
create index observation_resource_idx on observation (resource_id);
comment on table observation is 'Observation rows: one per Observation (component_index null) plus one per component (e.g. systolic and diastolic blood pressure).';
comment on column observation.resource_id is 'Source FHIR resource (current version); its rows are replaced when the resource is updated.';
comment on column observation.clinic_id is 'Clinic that sent the source resource.';
comment on column observation.patient_id is 'Patient record (one clinic''s) the fact is about; null when the resource names no Patient.';
comment on column observation.resource_type is 'FHIR resourceType of the source.';
comment on column observation.status is 'FHIR status code of the source (for Condition/AllergyIntolerance: the clinical status).';
comment on column observation.code_system is 'Canonical code-system URI of the picked coding (e.g. http://loinc.org; OIDs and aliases mapped).';
comment on column observation.code is 'Code of the picked coding (preferred system per domain).';
comment on column observation.code_display is 'Display of the picked coding, else the concept text.';
comment on column observation.original_codes is 'Every coding as sent ({coding:[{system,version,code,display}], text}), unmodified.';
comment on column observation.start_time is 'Start of the clinical time span in UTC (partial dates: start of the period).';
comment on column observation.end_time is 'End of the span in UTC, inclusive (partial dates: last millisecond of the period; equal to start_time for an instant; null when open).';
comment on column observation.value_type is 'FHIR value[x] type: Quantity, CodeableConcept, string, boolean, integer, Range, Ratio, SampledData, time, dateTime, Period.';
comment on column observation.value_num is 'Numeric value in the canonical unit value_unit (see unit_status).';
comment on column observation.value_unit is 'Canonical UCUM unit of value_num (one per dimension: kg, m, L, g/L, mol/L, Cel, mm[Hg], /min, ...), or the unit as sent when not converted.';
comment on column observation.value_orig is 'Numeric value exactly as sent.';
comment on column observation.unit_orig is 'Unit code as sent (Quantity.code, else Quantity.unit).';
comment on column observation.unit_status is 'converted | annotation | arbitrary | non_ucum | unknown_unit | no_canonical | no_unit: whether value_num is canonical.';
comment on column observation.value_comparator is 'Quantity comparator as sent (<, <=, >=, >).';
comment on column observation.value_text is 'Text form of the value (string values, booleans, coded display, rendered Range/Ratio).';
comment on column observation.value_code_system is 'Canonical system of a coded value.';
comment on column observation.value_code is 'Code of a coded value.';
comment on column observation.value_code_display is 'Display of a coded value.';
comment on column observation.value_json is 'Structured value without a scalar form (Range, Ratio, SampledData meta, Period; coded value''s original codings).';
comment on column observation.text is 'Free text about the fact: notes, conclusion, description or the concept''s own text.';
comment on column observation.category is 'Observation category code (observation-category system preferred): vital-signs, laboratory, survey, ...';
comment on column observation.component_index is 'null for the Observation itself; 0..n for its components, whose code and value fill the row.';
comment on column observation.interpretation is 'First interpretation code (H, L, N, ...).';
comment on column observation.ref_low is 'referenceRange[0].low in value_unit (null when units differ).';
comment on column observation.ref_high is 'referenceRange[0].high in value_unit (null when units differ).';
comment on column observation.data_absent_reason is 'dataAbsentReason code when there is no value.';
comment on column observation.issued_time is 'Observation.issued in UTC.';
comment on column observation.encounter_ref is 'Encounter reference as stored.';

create table medication (
  id bigint generated always as identity primary key,
  resource_id uuid not null references resource(id) on delete cascade,
  clinic_id uuid not null references clinic(id),
  patient_id uuid null references patient(id) on delete set null,
  resource_type text not null,
  status text,
  code_system text,
  code text,
  code_display text,
  original_codes jsonb,
  start_time timestamptz,
  end_time timestamptz,
  value_type text,
  value_num double precision,
  value_unit text,
  value_orig numeric,
  unit_orig text,
  unit_status text,
  value_comparator text,
  value_text text,
  value_code_system text,
  value_code text,
  value_code_display text,
  value_json jsonb,
  text text,
  intent text,
  medication_ref text,
  dosage_text text,
  route text,
  category text,
  encounter_ref text
);
create index medication_patient_time_idx on medication (patient_id, start_time);
create index medication_code_idx on medication (code_system, code);
create index medication_resource_idx on medication (resource_id);
comment on table medication is 'One row per MedicationStatement, MedicationRequest or MedicationAdministration: drug code (RxNorm preferred), dose as value.';
comment on column medication.resource_id is 'Source FHIR resource (current version); its rows are replaced when the resource is updated.';
comment on column medication.clinic_id is 'Clinic that sent the source resource.';
comment on column medication.patient_id is 'Patient record (one clinic''s) the fact is about; null when the resource names no Patient.';
comment on column medication.resource_type is 'FHIR resourceType of the source.';
comment on column medication.status is 'FHIR status code of the source (for Condition/AllergyIntolerance: the clinical status).';
comment on column medication.code_system is 'Canonical code-system URI of the picked coding (e.g. http://loinc.org; OIDs and aliases mapped).';
comment on column medication.code is 'Code of the picked coding (preferred system per domain).';
comment on column medication.code_display is 'Display of the picked coding, else the concept text.';
comment on column medication.original_codes is 'Every coding as sent ({coding:[{system,version,code,display}], text}), unmodified.';
comment on column medication.start_time is 'Start of the clinical time span in UTC (partial dates: start of the period).';
comment on column medication.end_time is 'End of the span in UTC, inclusive (partial dates: last millisecond of the period; equal to start_time for an instant; null when open).';
comment on column medication.value_type is 'FHIR value[x] type: Quantity, CodeableConcept, string, boolean, integer, Range, Ratio, SampledData, time, dateTime, Period.';
comment on column medication.value_num is 'Numeric value in the canonical unit value_unit (see unit_status).';
comment on column medication.value_unit is 'Canonical UCUM unit of value_num (one per dimension: kg, m, L, g/L, mol/L, Cel, mm[Hg], /min, ...), or the unit as sent when not converted.';
comment on column medication.value_orig is 'Numeric value exactly as sent.';
comment on column medication.unit_orig is 'Unit code as sent (Quantity.code, else Quantity.unit).';
comment on column medication.unit_status is 'converted | annotation | arbitrary | non_ucum | unknown_unit | no_canonical | no_unit: whether value_num is canonical.';
comment on column medication.value_comparator is 'Quantity comparator as sent (<, <=, >=, >).';
comment on column medication.value_text is 'Text form of the value (string values, booleans, coded display, rendered Range/Ratio).';
comment on column medication.value_code_system is 'Canonical system of a coded value.';
comment on column medication.value_code is 'Code of a coded value.';
comment on column medication.value_code_display is 'Display of a coded value.';
comment on column medication.value_json is 'Structured value without a scalar form (Range, Ratio, SampledData meta, Period; coded value''s original codings).';
comment on column medication.text is 'Free text about the fact: notes, conclusion, description or the concept''s own text.';
comment on column medication.intent is 'MedicationRequest.intent (order, plan, ...).';
comment on column medication.medication_ref is 'medicationReference as stored when the Medication is not contained (the code columns are then empty or the reference display).';
comment on column medication.dosage_text is 'Dosage text(s), joined with ''; ''.';
comment on column medication.route is 'Route of the first dosage.';
comment on column medication.category is 'Category code (inpatient, outpatient, community, ...).';
comment on column medication.encounter_ref is 'Encounter (context) reference as stored.';

create table allergy (
  id bigint generated always as identity primary key,
  resource_id uuid not null references resource(id) on delete cascade,
  clinic_id uuid not null references clinic(id),
  patient_id uuid null references patient(id) on delete set null,
  resource_type text not null,
  status text,
  code_system text,
  code text,
  code_display text,
  original_codes jsonb,
  start_time timestamptz,
  end_time timestamptz,
  value_type text,
  value_num double precision,
  value_unit text,
  value_orig numeric,
  unit_orig text,
  unit_status text,
  value_comparator text,
  value_text text,
  value_code_system text,
  value_code text,
  value_code_display text,
  value_json jsonb,
  text text,
  clinical_status text,
  verification_status text,
  allergy_type text,
  category text,
  criticality text,
  reactions jsonb,
  recorded_time timestamptz
);
create index allergy_patient_time_idx on allergy (patient_id, start_time);
create index allergy_code_idx on allergy (code_system, code);
create index allergy_resource_idx on allergy (resource_id);
comment on table allergy is 'One row per AllergyIntolerance: substance code, statuses, criticality, reactions.';
comment on column allergy.resource_id is 'Source FHIR resource (current version); its rows are replaced when the resource is updated.';
comment on column allergy.clinic_id is 'Clinic that sent the source resource.';
comment on column allergy.patient_id is 'Patient record (one clinic''s) the fact is about; null when the resource names no Patient.';
comment on column allergy.resource_type is 'FHIR resourceType of the source.';
comment on column allergy.status is 'FHIR status code of the source (for Condition/AllergyIntolerance: the clinical status).';
comment on column allergy.code_system is 'Canonical code-system URI of the picked coding (e.g. http://loinc.org; OIDs and aliases mapped).';
comment on column allergy.code is 'Code of the picked coding (preferred system per domain).';
comment on column allergy.code_display is 'Display of the picked coding, else the concept text.';
comment on column allergy.original_codes is 'Every coding as sent ({coding:[{system,version,code,display}], text}), unmodified.';
comment on column allergy.start_time is 'Start of the clinical time span in UTC (partial dates: start of the period).';
comment on column allergy.end_time is 'End of the span in UTC, inclusive (partial dates: last millisecond of the period; equal to start_time for an instant; null when open).';
comment on column allergy.value_type is 'FHIR value[x] type: Quantity, CodeableConcept, string, boolean, integer, Range, Ratio, SampledData, time, dateTime, Period.';
comment on column allergy.value_num is 'Numeric value in the canonical unit value_unit (see unit_status).';
comment on column allergy.value_unit is 'Canonical UCUM unit of value_num (one per dimension: kg, m, L, g/L, mol/L, Cel, mm[Hg], /min, ...), or the unit as sent when not converted.';
comment on column allergy.value_orig is 'Numeric value exactly as sent.';
comment on column allergy.unit_orig is 'Unit code as sent (Quantity.code, else Quantity.unit).';
comment on column allergy.unit_status is 'converted | annotation | arbitrary | non_ucum | unknown_unit | no_canonical | no_unit: whether value_num is canonical.';
comment on column allergy.value_comparator is 'Quantity comparator as sent (<, <=, >=, >).';
comment on column allergy.value_text is 'Text form of the value (string values, booleans, coded display, rendered Range/Ratio).';
comment on column allergy.value_code_system is 'Canonical system of a coded value.';
comment on column allergy.value_code is 'Code of a coded value.';
comment on column allergy.value_code_display is 'Display of a coded value.';
comment on column allergy.value_json is 'Structured value without a scalar form (Range, Ratio, SampledData meta, Period; coded value''s original codings).';
comment on column allergy.text is 'Free text about the fact: notes, conclusion, description or the concept''s own text.';
comment on column allergy.clinical_status is 'clinicalStatus code: active, inactive, resolved.';
comment on column allergy.verification_status is 'verificationStatus code.';
comment on column allergy.allergy_type is 'allergy | intolerance.';
comment on column allergy.category is 'Categories joined with '','' (food, medication, environment, biologic).';
comment on column allergy.criticality is 'low | high | unable-to-assess.';
comment on column allergy.reactions is '[{substance, manifestations:[{system,code,display}], severity, onset, description}] with canonical systems.';
comment on column allergy.recorded_time is 'recordedDate in UTC.';

create table immunization (
  id bigint generated always as identity primary key,
  resource_id uuid not null references resource(id) on delete cascade,
  clinic_id uuid not null references clinic(id),
  patient_id uuid null references patient(id) on delete set null,
  resource_type text not null,
  status text,
  code_system text,
  code text,
  code_display text,
  original_codes jsonb,
  start_time timestamptz,
  end_time timestamptz,
  value_type text,
  value_num double precision,
  value_unit text,
  value_orig numeric,
  unit_orig text,
  unit_status text,
  value_comparator text,
  value_text text,
  value_code_system text,
  value_code text,
  value_code_display text,
  value_json jsonb,
  text text,
  primary_source boolean,
  lot_number text,
  route text,
  site text,
  status_reason text,
  encounter_ref text
);
create index immunization_patient_time_idx on immunization (patient_id, start_time);
create index immunization_code_idx on immunization (code_system, code);
create index immunization_resource_idx on immunization (resource_id);
comment on table immunization is 'One row per Immunization: vaccine code (CVX preferred), occurrence, dose as value.';
comment on column immunization.resource_id is 'Source FHIR resource (current version); its rows are replaced when the resource is updated.';
comment on column immunization.clinic_id is 'Clinic that sent the source resource.';
comment on column immunization.patient_id is 'Patient record (one clinic''s) the fact is about; null when the resource names no Patient.';
comment on column immunization.resource_type is 'FHIR resourceType of the source.';
comment on column immunization.status is 'FHIR status code of the source (for Condition/AllergyIntolerance: the clinical status).';
comment on column immunization.code_system is 'Canonical code-system URI of the picked coding (e.g. http://loinc.org; OIDs and aliases mapped).';
comment on column immunization.code is 'Code of the picked coding (preferred system per domain).';
comment on column immunization.code_display is 'Display of the picked coding, else the concept text.';
comment on column immunization.original_codes is 'Every coding as sent ({coding:[{system,version,code,display}], text}), unmodified.';
comment on column immunization.start_time is 'Start of the clinical time span in UTC (partial dates: start of the period).';
comment on column immunization.end_time is 'End of the span in UTC, inclusive (partial dates: last millisecond of the period; equal to start_time for an instant; null when open).';
comment on column immunization.value_type is 'FHIR value[x] type: Quantity, CodeableConcept, string, boolean, integer, Range, Ratio, SampledData, time, dateTime, Period.';
comment on column immunization.value_num is 'Numeric value in the canonical unit value_unit (see unit_status).';
comment on column immunization.value_unit is 'Canonical UCUM unit of value_num (one per dimension: kg, m, L, g/L, mol/L, Cel, mm[Hg], /min, ...), or the unit as sent when not converted.';
comment on column immunization.value_orig is 'Numeric value exactly as sent.';
comment on column immunization.unit_orig is 'Unit code as sent (Quantity.code, else Quantity.unit).';
comment on column immunization.unit_status is 'converted | annotation | arbitrary | non_ucum | unknown_unit | no_canonical | no_unit: whether value_num is canonical.';
comment on column immunization.value_comparator is 'Quantity comparator as sent (<, <=, >=, >).';
comment on column immunization.value_text is 'Text form of the value (string values, booleans, coded display, rendered Range/Ratio).';
comment on column immunization.value_code_system is 'Canonical system of a coded value.';
comment on column immunization.value_code is 'Code of a coded value.';
comment on column immunization.value_code_display is 'Display of a coded value.';
comment on column immunization.value_json is 'Structured value without a scalar form (Range, Ratio, SampledData meta, Period; coded value''s original codings).';
comment on column immunization.text is 'Free text about the fact: notes, conclusion, description or the concept''s own text.';
comment on column immunization.primary_source is 'Whether the record comes from the person who administered it.';
comment on column immunization.lot_number is 'Vaccine lot number.';
comment on column immunization.route is 'Route label.';
comment on column immunization.site is 'Body site label.';
comment on column immunization.status_reason is 'statusReason code (why not done).';
comment on column immunization.encounter_ref is 'Encounter reference as stored.';

create table procedure (
  id bigint generated always as identity primary key,
  resource_id uuid not null references resource(id) on delete cascade,
  clinic_id uuid not null references clinic(id),
  patient_id uuid null references patient(id) on delete set null,
  resource_type text not null,
  status text,
  code_system text,
  code text,
  code_display text,
  original_codes jsonb,
  start_time timestamptz,
  end_time timestamptz,
  value_type text,
  value_num double precision,
  value_unit text,
  value_orig numeric,
  unit_orig text,
  unit_status text,
  value_comparator text,
  value_text text,
  value_code_system text,
  value_code text,
  value_code_display text,
  value_json jsonb,
  text text,
  category text,
  body_site text,
  outcome text,
  reason_code text,
  encounter_ref text
);
create index procedure_patient_time_idx on procedure (patient_id, start_time);
create index procedure_code_idx on procedure (code_system, code);
create index procedure_resource_idx on procedure (resource_id);
comment on table procedure is 'One row per Procedure: code (SNOMED, then CPT/HCPCS), performed span.';
comment on column procedure.resource_id is 'Source FHIR resource (current version); its rows are replaced when the resource is updated.';
comment on column procedure.clinic_id is 'Clinic that sent the source resource.';
comment on column procedure.patient_id is 'Patient record (one clinic''s) the fact is about; null when the resource names no Patient.';
comment on column procedure.resource_type is 'FHIR resourceType of the source.';
comment on column procedure.status is 'FHIR status code of the source (for Condition/AllergyIntolerance: the clinical status).';
comment on column procedure.code_system is 'Canonical code-system URI of the picked coding (e.g. http://loinc.org; OIDs and aliases mapped).';
comment on column procedure.code is 'Code of the picked coding (preferred system per domain).';
comment on column procedure.code_display is 'Display of the picked coding, else the concept text.';
comment on column procedure.original_codes is 'Every coding as sent ({coding:[{system,version,code,display}], text}), unmodified.';
comment on column procedure.start_time is 'Start of the clinical time span in UTC (partial dates: start of the period).';
comment on column procedure.end_time is 'End of the span in UTC, inclusive (partial dates: last millisecond of the period; equal to start_time for an instant; null when open).';
comment on column procedure.value_type is 'FHIR value[x] type: Quantity, CodeableConcept, string, boolean, integer, Range, Ratio, SampledData, time, dateTime, Period.';
comment on column procedure.value_num is 'Numeric value in the canonical unit value_unit (see unit_status).';
comment on column procedure.value_unit is 'Canonical UCUM unit of value_num (one per dimension: kg, m, L, g/L, mol/L, Cel, mm[Hg], /min, ...), or the unit as sent when not converted.';
comment on column procedure.value_orig is 'Numeric value exactly as sent.';
comment on column procedure.unit_orig is 'Unit code as sent (Quantity.code, else Quantity.unit).';
comment on column procedure.unit_status is 'converted | annotation | arbitrary | non_ucum | unknown_unit | no_canonical | no_unit: whether value_num is canonical.';
comment on column procedure.value_comparator is 'Quantity comparator as sent (<, <=, >=, >).';
comment on column procedure.value_text is 'Text form of the value (string values, booleans, coded display, rendered Range/Ratio).';
comment on column procedure.value_code_system is 'Canonical system of a coded value.';
comment on column procedure.value_code is 'Code of a coded value.';
comment on column procedure.value_code_display is 'Display of a coded value.';
comment on column procedure.value_json is 'Structured value without a scalar form (Range, Ratio, SampledData meta, Period; coded value''s original codings).';
comment on column procedure.text is 'Free text about the fact: notes, conclusion, description or the concept''s own text.';
comment on column procedure.category is 'Category code.';
comment on column procedure.body_site is 'First bodySite label.';
comment on column procedure.outcome is 'Outcome label.';
comment on column procedure.reason_code is 'First reasonCode code.';
comment on column procedure.encounter_ref is 'Encounter reference as stored.';

create table diagnostic_report (
  id bigint generated always as identity primary key,
  resource_id uuid not null references resource(id) on delete cascade,
  clinic_id uuid not null references clinic(id),
  patient_id uuid null references patient(id) on delete set null,
  resource_type text not null,
  status text,
  code_system text,
  code text,
  code_display text,
  original_codes jsonb,
  start_time timestamptz,
  end_time timestamptz,
  value_type text,
  value_num double precision,
  value_unit text,
  value_orig numeric,
  unit_orig text,
  unit_status text,
  value_comparator text,
  value_text text,
  value_code_system text,
  value_code text,
  value_code_display text,
  value_json jsonb,
  text text,
  category text,
  issued_time timestamptz,
  result_refs jsonb,
  encounter_ref text
);
create index diagnostic_report_patient_time_idx on diagnostic_report (patient_id, start_time);
create index diagnostic_report_code_idx on diagnostic_report (code_system, code);
create index diagnostic_report_resource_idx on diagnostic_report (resource_id);
comment on table diagnostic_report is 'One row per DiagnosticReport: report code (LOINC preferred), effective span, conclusion in text.';
comment on column diagnostic_report.resource_id is 'Source FHIR resource (current version); its rows are replaced when the resource is updated.';
comment on column diagnostic_report.clinic_id is 'Clinic that sent the source resource.';
comment on column diagnostic_report.patient_id is 'Patient record (one clinic''s) the fact is about; null when the resource names no Patient.';
comment on column diagnostic_report.resource_type is 'FHIR resourceType of the source.';
comment on column diagnostic_report.status is 'FHIR status code of the source (for Condition/AllergyIntolerance: the clinical status).';
comment on column diagnostic_report.code_system is 'Canonical code-system URI of the picked coding (e.g. http://loinc.org; OIDs and aliases mapped).';
comment on column diagnostic_report.code is 'Code of the picked coding (preferred system per domain).';
comment on column diagnostic_report.code_display is 'Display of the picked coding, else the concept text.';
comment on column diagnostic_report.original_codes is 'Every coding as sent ({coding:[{system,version,code,display}], text}), unmodified.';
comment on column diagnostic_report.start_time is 'Start of the clinical time span in UTC (partial dates: start of the period).';
comment on column diagnostic_report.end_time is 'End of the span in UTC, inclusive (partial dates: last millisecond of the period; equal to start_time for an instant; null when open).';
comment on column diagnostic_report.value_type is 'FHIR value[x] type: Quantity, CodeableConcept, string, boolean, integer, Range, Ratio, SampledData, time, dateTime, Period.';
comment on column diagnostic_report.value_num is 'Numeric value in the canonical unit value_unit (see unit_status).';
comment on column diagnostic_report.value_unit is 'Canonical UCUM unit of value_num (one per dimension: kg, m, L, g/L, mol/L, Cel, mm[Hg], /min, ...), or the unit as sent when not converted.';
comment on column diagnostic_report.value_orig is 'Numeric value exactly as sent.';
comment on column diagnostic_report.unit_orig is 'Unit code as sent (Quantity.code, else Quantity.unit).';
comment on column diagnostic_report.unit_status is 'converted | annotation | arbitrary | non_ucum | unknown_unit | no_canonical | no_unit: whether value_num is canonical.';
comment on column diagnostic_report.value_comparator is 'Quantity comparator as sent (<, <=, >=, >).';
comment on column diagnostic_report.value_text is 'Text form of the value (string values, booleans, coded display, rendered Range/Ratio).';
comment on column diagnostic_report.value_code_system is 'Canonical system of a coded value.';
comment on column diagnostic_report.value_code is 'Code of a coded value.';
comment on column diagnostic_report.value_code_display is 'Display of a coded value.';
comment on column diagnostic_report.value_json is 'Structured value without a scalar form (Range, Ratio, SampledData meta, Period; coded value''s original codings).';
comment on column diagnostic_report.text is 'Free text about the fact: notes, conclusion, description or the concept''s own text.';
comment on column diagnostic_report.category is 'First category code (LAB, RAD, ...).';
comment on column diagnostic_report.issued_time is 'DiagnosticReport.issued in UTC.';
comment on column diagnostic_report.result_refs is 'Array of result Observation references as stored.';
comment on column diagnostic_report.encounter_ref is 'Encounter reference as stored.';

create table document (
  id bigint generated always as identity primary key,
  resource_id uuid not null references resource(id) on delete cascade,
  clinic_id uuid not null references clinic(id),
  patient_id uuid null references patient(id) on delete set null,
  resource_type text not null,
  status text,
  code_system text,
  code text,
  code_display text,
  original_codes jsonb,
  start_time timestamptz,
  end_time timestamptz,
  value_type text,
  value_num double precision,
  value_unit text,
  value_orig numeric,
  unit_orig text,
  unit_status text,
  value_comparator text,
  value_text text,
  value_code_system text,
  value_code text,
  value_code_display text,
  value_json jsonb,
  text text,
  category text,
  doc_status text,
  title text,
  attachments jsonb,
  encounter_ref text
);
create index document_patient_time_idx on document (patient_id, start_time);
create index document_code_idx on document (code_system, code);
create index document_resource_idx on document (resource_id);
comment on table document is 'One row per DocumentReference or Composition: document type (LOINC preferred), covered period or date.';
comment on column document.resource_id is 'Source FHIR resource (current version); its rows are replaced when the resource is updated.';
comment on column document.clinic_id is 'Clinic that sent the source resource.';
comment on column document.patient_id is 'Patient record (one clinic''s) the fact is about; null when the resource names no Patient.';
comment on column document.resource_type is 'FHIR resourceType of the source.';
comment on column document.status is 'FHIR status code of the source (for Condition/AllergyIntolerance: the clinical status).';
comment on column document.code_system is 'Canonical code-system URI of the picked coding (e.g. http://loinc.org; OIDs and aliases mapped).';
comment on column document.code is 'Code of the picked coding (preferred system per domain).';
comment on column document.code_display is 'Display of the picked coding, else the concept text.';
comment on column document.original_codes is 'Every coding as sent ({coding:[{system,version,code,display}], text}), unmodified.';
comment on column document.start_time is 'Start of the clinical time span in UTC (partial dates: start of the period).';
comment on column document.end_time is 'End of the span in UTC, inclusive (partial dates: last millisecond of the period; equal to start_time for an instant; null when open).';
comment on column document.value_type is 'FHIR value[x] type: Quantity, CodeableConcept, string, boolean, integer, Range, Ratio, SampledData, time, dateTime, Period.';
comment on column document.value_num is 'Numeric value in the canonical unit value_unit (see unit_status).';
comment on column document.value_unit is 'Canonical UCUM unit of value_num (one per dimension: kg, m, L, g/L, mol/L, Cel, mm[Hg], /min, ...), or the unit as sent when not converted.';
comment on column document.value_orig is 'Numeric value exactly as sent.';
comment on column document.unit_orig is 'Unit code as sent (Quantity.code, else Quantity.unit).';
comment on column document.unit_status is 'converted | annotation | arbitrary | non_ucum | unknown_unit | no_canonical | no_unit: whether value_num is canonical.';
comment on column document.value_comparator is 'Quantity comparator as sent (<, <=, >=, >).';
comment on column document.value_text is 'Text form of the value (string values, booleans, coded display, rendered Range/Ratio).';
comment on column document.value_code_system is 'Canonical system of a coded value.';
comment on column document.value_code is 'Code of a coded value.';
comment on column document.value_code_display is 'Display of a coded value.';
comment on column document.value_json is 'Structured value without a scalar form (Range, Ratio, SampledData meta, Period; coded value''s original codings).';
comment on column document.text is 'Free text about the fact: notes, conclusion, description or the concept''s own text.';
comment on column document.category is 'First category code.';
comment on column document.doc_status is 'DocumentReference.docStatus (preliminary, final, amended, ...).';
comment on column document.title is 'Composition.title or the first attachment title.';
comment on column document.attachments is 'Attachment metadata (contentType, url, title, size, hash, language); inline data is not copied.';
comment on column document.encounter_ref is 'Encounter reference as stored.';

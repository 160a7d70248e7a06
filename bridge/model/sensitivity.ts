/**
 * What a restricted grant withholds, as the store filters it: the rows of `patientIds`' compartments whose
 * resource.sensitivity meets `labels` (or is not classified yet) are left out. Built from PersonAccess by withheldGroups.
 */
export interface Withheld {
  patientIds: string[];
  labels: string[];
}

/** Groups records by the labels withheld from them (records with none withheld are left out). Pure. */
export function withheldGroups(patients: readonly { patientId: string; excludedLabels?: readonly string[] }[]): Withheld[] {
  const groups = new Map<string, Withheld>();
  for (const p of patients) {
    if (!p.excludedLabels?.length) continue;
    const labels = [...new Set(p.excludedLabels)].sort();
    const key = labels.join(',');
    const g = groups.get(key) ?? { patientIds: [], labels };
    g.patientIds.push(p.patientId);
    groups.set(key, g);
  }
  return [...groups.values()];
}

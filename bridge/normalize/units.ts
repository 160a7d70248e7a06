/**
 * Quantities → one canonical UCUM unit per dimension, with @lhncbc/ucum-lhc.
 *
 * Rule: a unit's dimension (UCUM dimension vector + mole exponent, so mmol/L and 10*3/uL stay apart) is looked
 * up in CANONICAL_UNITS; the listed unit is that dimension's canonical unit (clinical SI: kg, m, L, g/L, mol/L,
 * Cel, mm[Hg], /min, ...). A dimension not listed falls back to the UCUM base-unit expression that
 * ucum-lhc's convertToBaseUnits yields (e.g. `g.m-1`), mole-based ones are not converted.
 * Units with {annotations} ({score}, mL/min/{1.73_m2}), arbitrary units ([IU]) and non-UCUM systems are kept
 * as sent, with a status saying why.
 * ucum-lhc is loaded once, lazily; each unit code is resolved once and cached as an affine map (value*a + b),
 * so a conversion costs a Map lookup.
 */
import { UCUM, canonicalSystem } from './codes';
import type { CanonicalQuantity, UnitStatus } from './types';

/** Canonical unit per dimension (the dimension is computed from the unit itself at load time). */
export const CANONICAL_UNITS: readonly string[] = [
  '1', // dimensionless (%, ppm, 10*3, g/g → fraction)
  'kg', // mass
  'm', // length
  'm2', // area
  's', // time
  'L', // volume
  'Cel', // temperature
  'g/L', // mass concentration
  'mol/L', // substance concentration
  '/L', // number concentration (cells, particles)
  'U/L', // catalytic concentration
  'mol', // amount of substance
  'U', // catalytic activity
  'mm[Hg]', // pressure
  '/min', // frequency (rates: heart, respiration)
  'kg/m2', // mass per area (BMI, bone density)
  'L/min', // volumetric flow
  'g/mol', // molar mass
  'mol/kg', // molality
];

/** Common non-UCUM spellings seen in real lab feeds → the UCUM unit they mean. */
const ALIASES: Readonly<Record<string, string>> = {
  'K/uL': '10*3/uL', // "K" is kelvin in UCUM; labs mean thousands
  'M/uL': '10*6/uL',
  'k/uL': '10*3/uL',
  pH: '[pH]', // "pH" is picohenry in UCUM
  'IU/L': '[IU]/L',
  IU: '[IU]',
  mcg: 'ug',
  'mcg/mL': 'ug/mL',
  'mm Hg': 'mm[Hg]',
  mmHg: 'mm[Hg]',
  'beats/min': '/min',
  bpm: '/min',
  'breaths/min': '/min',
  degC: 'Cel',
  '°C': 'Cel',
  '°F': '[degF]',
  lb: '[lb_av]',
  lbs: '[lb_av]',
  in: '[in_i]',
};

interface UcumUnit {
  dim_?: { dimVec_?: number[] } | null;
  moleExp_?: number;
  isArbitrary_?: boolean;
  isSpecial_?: boolean;
}
interface UcumUtils {
  getSpecifiedUnit(u: string, mode: string, suggest?: boolean): { status: string; unit?: UcumUnit | null };
  convertUnitTo(from: string, v: number, to: string): { status: string; toVal?: number };
  convertToBaseUnits(from: string, v: number): { status: string; magnitude?: number; unitToExp?: Record<string, number> };
}

/** How one unit code converts: value * scale + offset in `unit`, or kept as sent with `status`. */
interface UnitPlan {
  status: UnitStatus;
  unit: string | null;
  scale: number;
  offset: number;
}

let ucum: { utils: UcumUtils; byDim: Map<string, string> } | null = null;
const plans = new Map<string, UnitPlan>();

function lookup(utils: UcumUtils, code: string): UcumUnit | null {
  try {
    const r = utils.getSpecifiedUnit(code, 'validate', false);
    return r.status === 'valid' && r.unit ? r.unit : null;
  } catch {
    return null;
  }
}

function dimKey(u: UcumUnit): string {
  return (u.dim_?.dimVec_ ?? []).join(',') + '|' + (u.moleExp_ ?? 0);
}

function load(): { utils: UcumUtils; byDim: Map<string, string> } {
  if (ucum) return ucum;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const utils = (require('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } }).UcumLhcUtils.getInstance();
  const byDim = new Map<string, string>();
  for (const c of CANONICAL_UNITS) {
    const u = lookup(utils, c);
    if (u && !byDim.has(dimKey(u))) byDim.set(dimKey(u), c);
  }
  ucum = { utils, byDim };
  return ucum;
}

function convert(utils: UcumUtils, from: string, v: number, to: string): number | null {
  try {
    const r = utils.convertUnitTo(from, v, to);
    return r.status === 'succeeded' && typeof r.toVal === 'number' && Number.isFinite(r.toVal) ? r.toVal : null;
  } catch {
    return null;
  }
}

const kept = (status: UnitStatus): UnitPlan => ({ status, unit: null, scale: 1, offset: 0 });

function planFor(code: string): UnitPlan {
  const { utils, byDim } = load();
  if (code.includes('{')) return kept('annotation');
  if (/\s/.test(code)) return kept('unknown_unit'); // UCUM has no blanks; also spares ucum-lhc's console noise
  const unit = lookup(utils, code);
  if (!unit) return kept('unknown_unit');
  if (unit.isArbitrary_) return kept('arbitrary');
  const target = byDim.get(dimKey(unit));
  if (target) return affinePlan(utils, code, target);
  if ((unit.moleExp_ ?? 0) !== 0 || unit.isSpecial_) return kept('no_canonical');
  const base = utils.convertToBaseUnits(code, 1);
  if (base.status !== 'succeeded' || typeof base.magnitude !== 'number') return kept('no_canonical');
  const expr = Object.entries(base.unitToExp ?? {})
    .map(([u, e]) => (e === 1 ? u : `${u}${e}`))
    .join('.');
  return { status: 'converted', unit: expr || '1', scale: base.magnitude, offset: 0 };
}

/** Conversions are affine for every non-special unit and for temperatures; anything else (e.g. [pH]) is kept. */
function affinePlan(utils: UcumUtils, code: string, target: string): UnitPlan {
  const y0 = convert(utils, code, 0, target);
  const y1 = convert(utils, code, 1, target);
  const y100 = convert(utils, code, 100, target);
  if (y0 === null || y1 === null || y100 === null) return kept('no_canonical');
  const scale = y1 - y0;
  const predicted = y0 + 100 * scale;
  if (Math.abs(predicted - y100) > 1e-9 * Math.max(1, Math.abs(y100))) return kept('no_canonical');
  return { status: 'converted', unit: target, scale, offset: y0 };
}

/** Round away binary noise (0.30000000000000004) while keeping 12 significant digits. */
function tidy(n: number): number {
  return n === 0 ? 0 : Number(n.toPrecision(12));
}

/**
 * Convert a value to the canonical unit of its dimension. Never throws: unknown or non-UCUM units come back
 * unconverted with a status. A missing system is tried as UCUM (many feeds omit it); `unitCode` may be the
 * human `Quantity.unit` when `code` is absent.
 */
export function toCanonicalQuantity(value: number | null | undefined, unitCode: string | null | undefined, unitSystem?: string | null): CanonicalQuantity {
  const v = typeof value === 'number' && Number.isFinite(value) ? value : null;
  const unitOrig = unitCode != null && unitCode.trim() !== '' ? unitCode : null;
  const asSent = (status: UnitStatus): CanonicalQuantity => ({ value: v, unit: unitOrig, valueOrig: v, unitOrig, status });
  if (unitOrig === null) return asSent('no_unit');
  const system = canonicalSystem(unitSystem);
  if (system !== null && system !== UCUM) return asSent('non_ucum');
  const code = ALIASES[unitOrig.trim()] ?? unitOrig.trim();
  let plan = plans.get(code);
  if (!plan) {
    plan = planFor(code);
    if (plans.size < 50_000) plans.set(code, plan);
  }
  if (plan.status !== 'converted') return asSent(plan.status);
  return { value: v === null ? null : tidy(v * plan.scale + plan.offset), unit: plan.unit, valueOrig: v, unitOrig, status: 'converted' };
}

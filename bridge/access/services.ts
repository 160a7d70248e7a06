/**
 * What the access layer needs to act: the database, where pushes run, and the limits it enforces. Built once at start
 * (bridge/http/app.ts) and handed to the HTTP edge, which never sees the store itself.
 */
import type { IngestPool } from '../ingest/ingest-pool';
import type { LogService } from '../log/service';
import type { Db } from '../store/db';
import { DEFAULT_BREAK_GLASS_LIMIT } from './break-glass';
import { DEFAULT_MATCH_HANDLE_TTL_SECONDS, DEFAULT_MATCH_LIMIT } from './match';

export interface AccessServices {
  readonly db: Db;
  /** Where pushes run (worker threads, or inline). */
  readonly ingest: IngestPool;
  readonly maxEntries: number;
  readonly personSystems: string[];
  /** Break-glass reads per clinic and hour (BREAK_GLASS_LIMIT). */
  readonly breakGlassLimit: number;
  /** Answered Patient/$match requests per clinic and hour (MATCH_LIMIT) and the life of their handles. */
  readonly matchLimit: number;
  readonly matchHandleTtlSeconds: number;
  /** Subscription endpoints may be on loopback/private hosts (NOTIFY_ALLOW_PRIVATE_HOSTS). */
  readonly allowPrivateHookHosts: boolean;
  /** The verifiable log (checkpoints, tiles, proofs); absent in unit-level setups that do not serve it. */
  readonly verifiableLog?: LogService;
}

export function accessServices(o: {
  db: Db;
  ingest: IngestPool;
  maxEntries: number;
  personSystems: string[];
  breakGlassLimit?: number;
  matchLimit?: number;
  matchHandleTtlSeconds?: number;
  allowPrivateHookHosts?: boolean;
  verifiableLog?: LogService;
}): AccessServices {
  return {
    db: o.db,
    ingest: o.ingest,
    maxEntries: o.maxEntries,
    personSystems: o.personSystems,
    breakGlassLimit: o.breakGlassLimit ?? DEFAULT_BREAK_GLASS_LIMIT,
    matchLimit: o.matchLimit ?? DEFAULT_MATCH_LIMIT,
    matchHandleTtlSeconds: o.matchHandleTtlSeconds ?? DEFAULT_MATCH_HANDLE_TTL_SECONDS,
    allowPrivateHookHosts: o.allowPrivateHookHosts ?? false,
    verifiableLog: o.verifiableLog,
  };
}

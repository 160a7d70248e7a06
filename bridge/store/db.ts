import { Pool, PoolClient, types } from 'pg';

// bigint counts as numbers (row counts stay far below 2^53); timestamps as ISO strings, never local-time Dates.
types.setTypeParser(20, (v) => Number(v));
types.setTypeParser(1184, (v) => new Date(v).toISOString());
types.setTypeParser(1082, (v) => v);

export type Db = Pool;
export type Tx = PoolClient;

/** Binds values to `params` as they are used in SQL text: each call appends one and returns its placeholder (`$n`). */
export function binder(params: unknown[]): (value: unknown) => string {
  return (value) => {
    params.push(value);
    return `$${params.length}`;
  };
}

export function createPool(url: string, max: number): Pool {
  const pool = new Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** What to run once each open transaction (of inTransaction) commits; absent: the client is in no transaction. */
const commitHooks = new WeakMap<PoolClient, (() => void)[]>();

/**
 * Runs `fn` once what `db` wrote is committed: when `db` is a transaction of inTransaction, after its COMMIT (never
 * when it rolls back, so a retried or failed attempt's rows are never announced); otherwise (a pool: autocommit) now.
 */
export function afterCommit(db: Pool | PoolClient, fn: () => void): void {
  const hooks = commitHooks.get(db as PoolClient);
  if (hooks) hooks.push(fn);
  else fn();
}

/** The commit hooks registered so far in `tx`, and dropping those after a mark (a savepoint rolled back). */
export const commitHookMark = (tx: PoolClient): number => commitHooks.get(tx)?.length ?? 0;
export function dropCommitHooksAfter(tx: PoolClient, mark: number): void {
  commitHooks.get(tx)?.splice(mark);
}

/**
 * Runs read-only `work` on one snapshot of the database: a REPEATABLE READ READ ONLY transaction, whose every query
 * sees the data as of its first one (PostgreSQL manual §13.2.2), so what several reads return is consistent (a
 * document's facts and the resource versions it names them from) even while writes commit in between.
 */
export function inSnapshot<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  return transaction(pool, work, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
}

/** Runs `work` in one transaction: committed when it resolves, rolled back when it throws; then its afterCommit hooks. */
export function inTransaction<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  return transaction(pool, work, 'BEGIN');
}

async function transaction<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>, begin: string): Promise<T> {
  const client = await pool.connect();
  const hooks: (() => void)[] = [];
  let result: T;
  try {
    await client.query(begin);
    commitHooks.set(client, hooks);
    result = await work(client);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    commitHooks.delete(client);
    client.release();
  }
  for (const fn of hooks) fn();
  return result;
}

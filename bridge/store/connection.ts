import { commitHookMark, dropCommitHooksAfter, type Db, type Tx } from './db';

/** Resolves when the database answers a trivial query (readiness probes, a worker's first connection). */
export async function ping(db: Db): Promise<void> {
  await db.query('SELECT 1');
}

/**
 * Runs `work` under a savepoint of `tx`: a failure rolls back what `work` did and nothing before it, and is rethrown
 * (a batch entry fails alone, FHIR R4 http.html#brules: "there shall be no interdependencies between batch entries").
 */
export async function withSavepoint<T>(tx: Tx, work: () => Promise<T>): Promise<T> {
  await tx.query('SAVEPOINT entry');
  const mark = commitHookMark(tx);
  try {
    const result = await work();
    await tx.query('RELEASE SAVEPOINT entry');
    return result;
  } catch (err) {
    await tx.query('ROLLBACK TO SAVEPOINT entry');
    dropCommitHooksAfter(tx, mark); // what the entry wrote is gone: announce none of it
    throw err;
  }
}

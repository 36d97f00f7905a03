/**
 * `meshrpc certs`: a CA for the mesh and node certificates it issues, as PEM files.
 *
 *   meshrpc certs init  [--dir certs] [--trust-domain meshrpc.local] [--days 3650]
 *   meshrpc certs issue <name> [--dir certs] [--out <dir>] [--dns a,b] [--ip 10.0.0.5] [--services a,ns/*] [--days 365]
 *
 * Keys are written readable by their owner only; an existing CA is never overwritten unless
 * --force, since every certificate it issued would stop being trusted.
 */
import { Command } from 'commander';
import { X509Certificate } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMeshError } from '../core/errors.js';
import { splitList } from '../mesh/config.js';
import { spiffeUrisOf } from '../security/identity.js';
import { servicePatternsOf } from '../security/publish-rights.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
import type { CliIO } from './io.js';

interface InitFlags {
  dir: string;
  trustDomain: string;
  days: string;
  force?: boolean;
}

interface IssueFlags {
  dir: string;
  out?: string;
  dns?: string;
  ip?: string;
  services?: string;
  days: string;
}

function days(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${flag} must be a whole number of days, got "${value}"`);
  return n;
}

/** A mistake in how the command was called: one line, exit 2. */
const usageError = (message: string) => new CliError(message, EXIT_USAGE);

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function writePair(dir: string, base: string, pair: { cert: string; key: string }): Promise<[string, string]> {
  await mkdir(dir, { recursive: true });
  const cert = path.join(dir, `${base}.pem`);
  const key = path.join(dir, `${base}.key`);
  await writeFile(key, pair.key, { mode: 0o600 });
  await writeFile(cert, pair.cert, { mode: 0o644 });
  return [cert, key];
}

function describe(certPem: string): string {
  const cert = new X509Certificate(certPem);
  const uri = spiffeUrisOf(cert)[0] ?? cert.subject;
  const services = servicePatternsOf(cert);
  return `${uri}${services.length ? `, may also publish ${services.join(', ')}` : ''}, valid until ${new Date(cert.validTo).toISOString()}`;
}

export function certsCommand(io: CliIO, setExitCode: (code: number) => void): Command {
  const run = (action: () => Promise<void>) =>
    action().catch((err: unknown) => {
      io.err(`meshrpc certs: ${(err as Error).message}`);
      const usage = (err instanceof CliError && err.exitCode === EXIT_USAGE) || (isMeshError(err) && err.code === 'INVALID_ARGUMENT');
      setExitCode(usage ? EXIT_USAGE : EXIT_FAILURE);
    });
  const certs = new Command('certs').description('create a CA for the mesh and issue node certificates (PEM: for MESHRPC_TLS_CA, MESHRPC_TLS_CERT, MESHRPC_TLS_KEY)');

  certs
    .command('init')
    .description('create the mesh CA: <dir>/ca.pem and <dir>/ca.key')
    .option('--dir <dir>', 'where the CA files go', 'certs')
    .option('--trust-domain <domain>', 'trust domain of every identity: spiffe://<domain>/<name>', 'meshrpc.local')
    .option('--days <n>', 'validity in days', '3650')
    .option('--force', 'replace an existing CA (every certificate it issued stops being trusted)')
    .action((flags: InitFlags) =>
      run(async () => {
        const dir = path.resolve(io.cwd, flags.dir);
        if (!flags.force && (await exists(path.join(dir, 'ca.key')))) {
          throw usageError(`${path.join(dir, 'ca.key')} exists: keep it, or pass --force to replace the CA`);
        }
        const { createCa } = await import('../security/certs.js');
        const ca = await createCa({ trustDomain: flags.trustDomain, days: days(flags.days, '--days') });
        const [cert, key] = await writePair(dir, 'ca', ca);
        io.out(`wrote ${cert} and ${key} (${describe(ca.cert)})`);
        io.out(`next: meshrpc certs issue <name> --dir ${flags.dir}`);
      }),
    );

  certs
    .command('issue')
    .description('issue a node certificate for <name>: <out>/<name>.pem and <out>/<name>.key')
    .argument('<name>', 'the node name; its identity is spiffe://<trust domain>/<name>')
    .option('--dir <dir>', 'where the CA files are', 'certs')
    .option('--out <dir>', 'where to write the certificate (default: the CA directory)')
    .option('--dns <names>', 'extra DNS names, comma-separated')
    .option('--ip <addresses>', 'extra IP addresses, comma-separated')
    .option('--services <services>', 'services it may publish besides <name>, comma-separated: svc, ns/svc, ns/*, *')
    .option('--days <n>', 'validity in days', '365')
    .action((name: string, flags: IssueFlags) =>
      run(async () => {
        const dir = path.resolve(io.cwd, flags.dir);
        const [caCert, caKey] = await Promise.all(
          ['ca.pem', 'ca.key'].map((f) =>
            readFile(path.join(dir, f), 'utf8').catch(() => {
              throw usageError(`cannot read ${path.join(dir, f)}: create the CA first with \`meshrpc certs init --dir ${flags.dir}\``);
            }),
          ),
        );
        const { issueCertificate } = await import('../security/certs.js');
        const pair = await issueCertificate({
          name,
          ca: { cert: caCert!, key: caKey! },
          days: days(flags.days, '--days'),
          dns: flags.dns ? splitList(flags.dns) : [],
          ips: flags.ip ? splitList(flags.ip) : [],
          services: flags.services ? splitList(flags.services) : [],
        });
        const [cert, key] = await writePair(path.resolve(io.cwd, flags.out ?? flags.dir), name, pair);
        io.out(`wrote ${cert} and ${key} (${describe(pair.cert)})`);
      }),
    );
  return certs;
}

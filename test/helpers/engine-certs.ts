/**
 * Certificates for tests of the other engines' TLS, written as PEM files to a temp dir: a CA, a
 * server certificate for 127.0.0.1 and localhost, a client certificate from the same CA and one
 * from another CA. What `meshrpc certs` would write, made with the same code.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCa, issueCertificate, type CertificatePair } from '../../src/security/certs.js';

export interface PemFiles {
  cert: string;
  key: string;
}

export interface EngineCerts {
  dir: string;
  /** The CA's certificate file. */
  ca: string;
  /** The other CA's certificate file. */
  otherCa: string;
  server: PemFiles;
  client: PemFiles;
  /** A client certificate the other CA signed. */
  stranger: PemFiles;
  /** `{ ca, cert, key }` of the client, as the engines' `tls` option takes it. */
  clientTls: { ca: string; cert: string; key: string };
  remove(): Promise<void>;
}

export async function engineCerts(prefix: string): Promise<EngineCerts> {
  const dir = await mkdtemp(path.join(tmpdir(), `meshrpc-${prefix}-`));
  const ca = await createCa({ trustDomain: 'engines.test' });
  const other = await createCa({ trustDomain: 'engines.test' });
  const write = async (name: string, pair: CertificatePair): Promise<PemFiles> => {
    const files = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
    await writeFile(files.cert, pair.cert);
    await writeFile(files.key, pair.key, { mode: 0o600 });
    return files;
  };
  const caFiles = await write('ca', ca);
  const otherFiles = await write('other-ca', other);
  const server = await write('server', await issueCertificate({ ca, name: 'server', dns: ['localhost'], ips: ['127.0.0.1'] }));
  const client = await write('client', await issueCertificate({ ca, name: 'client' }));
  const stranger = await write('stranger', await issueCertificate({ ca: other, name: 'client' }));
  return {
    dir,
    ca: caFiles.cert,
    otherCa: otherFiles.cert,
    server,
    client,
    stranger,
    clientTls: { ca: caFiles.cert, ...client },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

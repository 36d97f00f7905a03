/**
 * gRPC TLS from PEM files (grpc-js's own credentials, made from them): `tls` options or
 * MESHRPC_GRPC_TLS_CA / _CERT / _KEY (MESHRPC_GRPC_TLS=1: TLS with the system's CAs).
 *  - Server: `cert` and `key` serve TLS; with `ca` too, every client must present a certificate
 *    that CA signed (mutual TLS, `ServerCredentials.createSsl(ca, [pair], true)`).
 *  - Client: `ca` verifies the server (the system's roots otherwise); `cert` and `key` are this
 *    client's certificate, for a server that asks for one (`credentials.createSsl`).
 * `credentials` given in code (grpc-js's own objects) win over all of this.
 */
import { credentials as grpcCredentials, ServerCredentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { Failures } from '../../core/failures.js';
import { settingOf, tlsPemOf, variableOf, type EngineTlsFiles } from '../engine-credentials.js';

export interface GrpcClientTls extends EngineTlsFiles {
  /**
   * The name the server's certificate must carry, when it is not the host in the address (e.g.
   * dialling 10.0.0.5 for a certificate issued to "greeter"); MESHRPC_GRPC_TLS_SERVER_NAME.
   */
  serverName?: string;
}

const pemBuffer = (pem: string | undefined) => (pem === undefined ? null : Buffer.from(pem));

export function grpcServerCredentials(given: { credentials?: ServerCredentials; tls?: EngineTlsFiles }, env: NodeJS.ProcessEnv = process.env): ServerCredentials {
  if (given.credentials) return given.credentials;
  const pem = tlsPemOf('GRPC', given.tls, env);
  if (!pem) return ServerCredentials.createInsecure();
  if (!pem.cert || !pem.key) {
    throw Failures.engineSettingsInvalid({
      engine: 'gRPC',
      problem: `a server's TLS needs its certificate and key: set tls.cert and tls.key, or ${variableOf('GRPC', 'TLS_CERT')} and ${variableOf('GRPC', 'TLS_KEY')}`,
    });
  }
  const mutual = pem.ca !== undefined;
  return ServerCredentials.createSsl(pemBuffer(pem.ca), [{ cert_chain: Buffer.from(pem.cert), private_key: Buffer.from(pem.key) }], mutual);
}

export function grpcChannelCredentials(
  given: { credentials?: ChannelCredentials; tls?: GrpcClientTls; channelOptions?: ChannelOptions },
  env: NodeJS.ProcessEnv = process.env,
): { credentials: ChannelCredentials; channelOptions: ChannelOptions | undefined } {
  if (given.credentials) return { credentials: given.credentials, channelOptions: given.channelOptions };
  const pem = tlsPemOf('GRPC', given.tls, env);
  if (!pem) return { credentials: grpcCredentials.createInsecure(), channelOptions: given.channelOptions };
  const credentials = grpcCredentials.createSsl(pemBuffer(pem.ca), pemBuffer(pem.key), pemBuffer(pem.cert));
  const serverName = settingOf('GRPC', 'TLS_SERVER_NAME', given.tls?.serverName, given.tls ? {} : env);
  const channelOptions = serverName
    ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName, ...given.channelOptions }
    : given.channelOptions;
  return { credentials, channelOptions };
}

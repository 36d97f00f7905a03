/**
 * Starting the OpenTelemetry Node SDK for meshrpc's own processes (`meshrpc gateway`, the
 * examples) when, and only when, the standard variables ask for traces: OTEL_TRACES_EXPORTER
 * (anything but "none"), or an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). The SDK then reads every other OTEL_* variable itself
 * (protocol, headers, sampler, resource attributes, OTEL_SERVICE_NAME).
 *
 * `@opentelemetry/sdk-node` is an optional peer dependency: a library must not pick the SDK for
 * an application, and most services never load it. It is imported by a name the bundlers leave
 * alone; without it installed, the process says so once and runs untraced.
 */
import type { NodeSDK } from '@opentelemetry/sdk-node';

export const SDK_PACKAGE = '@opentelemetry/sdk-node';

/** Do these variables ask for traces? */
export function tracesRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.split(',').map((e) => e.trim()).filter(Boolean) ?? [];
  if (exporters.length > 0) return exporters.some((e) => e !== 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

export interface Telemetry {
  /** Flush the spans still buffered and stop (call it before the process exits). */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** `service.name` when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names one. */
  serviceName: string;
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
}

/** Start the SDK if the environment asks for traces; undefined when it does not or cannot. */
export async function startTelemetryFromEnv(options: TelemetryOptions): Promise<Telemetry | undefined> {
  const env = options.env ?? process.env;
  if (!tracesRequested(env)) return undefined;
  const log = options.log ?? ((msg: string) => process.emitWarning(msg, { code: 'MESHRPC_OTEL' }));
  let sdkModule: { NodeSDK: typeof NodeSDK };
  try {
    const name = SDK_PACKAGE; // not a literal: bundlers must not pull the SDK into every build
    sdkModule = (await import(name)) as { NodeSDK: typeof NodeSDK };
  } catch (err) {
    log(`OTEL_* variables ask for traces, but ${SDK_PACKAGE} cannot be loaded (${(err as Error).message}); install it next to meshrpc (npm install ${SDK_PACKAGE}) to export them`);
    return undefined;
  }
  const named = Boolean(env.OTEL_SERVICE_NAME) || /(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '');
  const sdk = new sdkModule.NodeSDK({ ...(named ? {} : { serviceName: options.serviceName }), instrumentations: [] });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/**
 * The HTTP gateway: every mesh method as `POST /<service>/<method>`, published HTTP handlers
 * forwarded, health, metrics and OpenAPI; and what services use to be forwarded to and described.
 */
export { createGateway, DEFAULT_HTTP_PORT, type Gateway, type GatewayOptions, type Readiness } from './gateway.js';
export { publishHttpHandler, type NodeHttpHandler, type PublishedHttpHandler, type PublishHttpOptions } from './publish-http.js';
export { describeService, describeSpec, publishDescribed, META_NAMESPACE, type ServiceDescription, type MethodDescription } from './describe.js';
export { HttpError, errorResponse, type ErrorBody } from './errors.js';
export { GatewayMetrics } from './metrics.js';
export { gatewayConfigFromEnv, startGateway, stopOnSignals, type GatewayConfig, type RunningGateway } from './run.js';
export type { AuthOptions, CorsOptions } from './protect.js';
export type { OpenApiInfo } from './openapi.js';

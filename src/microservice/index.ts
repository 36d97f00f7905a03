/** The Microservice container and the server contract its adapters implement. */
export { Microservice, type MicroserviceOptions } from './microservice.js';
export { DispatchServer, toEndpoint, DEFAULT_STOP_TIMEOUT, type Server, type ServerType, type EndpointFn, type StopOptions } from './server.js';
export { MeshServer } from './mesh-server.js';

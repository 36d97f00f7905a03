/** The container's server contract; it lives with the adapter kit that every transport builds on. */
export { DispatchServer, toEndpoint, DEFAULT_STOP_TIMEOUT, type Server, type ServerType, type EndpointFn, type StopOptions } from '../pipeline/server.js';

/** The gateway's HTTP surface: status, metrics, push API, browser client, demo page and user routes. */
export { GatewayHttp, installHttp, DEFAULT_GATEWAY_HTTP_OPTIONS } from './gateway-http.js';
export type { GatewayHttpOptions } from './options.js';
export { Router } from './router.js';
export type { HttpContext, HttpRouteHandler, HttpMethod, RouteMatch } from './router.js';
export { HttpError } from './respond.js';
export { readBody, readJson, JsonFields, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_JSON_DEPTH } from './body.js';
export { createBearerCheck } from './auth.js';
export { formatPrometheus, PROMETHEUS_CONTENT_TYPE } from './metrics.js';
export type { Metric, MetricSample } from './metrics.js';
export { publicFile } from './static.js';

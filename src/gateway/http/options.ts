/** The built-in HTTP routes of a gateway (`createGateway({ web })`); defaults in `DEFAULT_GATEWAY_HTTP_OPTIONS`. */
export interface GatewayHttpOptions {
  /**
   * Bearer token of the push API. Without a key the API is off: its paths answer 404 like any unknown path.
   *
   * @defaultValue the gateway's `apiKey` option
   */
  apiKey?: string;
  /**
   * Where the push API lives (starts with `/`, doesn't end with one).
   *
   * @defaultValue `'/api'`
   */
  apiPrefix?: string;
  /**
   * Largest request body read, in bytes (413 above).
   *
   * @defaultValue `1_048_576` (1 MiB)
   */
  maxBodySize?: number;
  /**
   * Deepest nesting of arrays/objects accepted in a JSON body (400 `json_too_deep` above): far more than any API
   * call needs, far less than what makes `JSON.stringify` and other recursive code overflow the stack.
   *
   * @defaultValue `64`
   */
  maxJsonDepth?: number;
  /**
   * Serve `GET /status` (JSON).
   *
   * @defaultValue `true`
   */
  status?: boolean;
  /**
   * Serve `GET /metrics` (Prometheus text format 0.0.4).
   *
   * @defaultValue `true`
   */
  metrics?: boolean;
  /**
   * Serve the browser client at `GET /wsgate.js`.
   *
   * @defaultValue `true`
   */
  client?: boolean;
  /**
   * Serve the demo chat page at `GET /` with its `/demo.js` and `/demo.css` (it uses the demo routes, see
   * `installDemoRoutes`), under a CSP without inline script and with `frame-ancestors 'none'`.
   *
   * @defaultValue `false`
   */
  demo?: boolean;
  /**
   * Serve the live dashboard at `GET /dashboard` (charts of the whole deployment, updated every second). Needs an
   * API key too: without one its paths answer 404. The page asks for the key and sends it as a bearer token on its
   * own requests (`GET /dashboard/stats`, 401 without it). Same CSP as the demo page.
   *
   * @defaultValue `false`
   */
  dashboard?: boolean;
}

/** A started command: where it listens and how to stop it. */
export interface Running {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A bound address as a person would type it in a browser. */
export function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

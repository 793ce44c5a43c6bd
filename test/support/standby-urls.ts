/** The same database on another port of 127.0.0.1 (the stack's standby, once promoted: the new primary). */
export function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}

/** libpq's multi-host form, as an operator sets DATABASE_URL for failover: the primary, then the standby. */
export function primaryAndStandbyUrl(primaryUrl: string, standbyPort: number): string {
  return `${primaryUrl.replace(/@([^/]+)\//, (_, host: string) => `@${host},127.0.0.1:${standbyPort}/`)}?target_session_attrs=read-write`;
}

/**
 * PostgreSQL URLs that may name several hosts, in libpq's form
 * (`postgres://user:password@host1:5432,host2:5432/db?target_session_attrs=read-write`), which the
 * WHATWG URL parser and node-postgres do not read: one URL per host, in the order given.
 */
const MULTI_HOST = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/i;

export function splitHosts(url: string): string[] {
  const match = MULTI_HOST.exec(url);
  if (!match) return [url];
  const [, scheme = '', credentials = '', hosts = '', rest = ''] = match;
  const list = hosts.split(',');
  if (list.length === 1) return [url];
  // target_session_attrs picks among hosts: meaningless for one, and node-postgres does not know it.
  const single = rest.replace(/([?&])target_session_attrs=[^&]*&?/, '$1').replace(/[?&]$/, '');
  return list.map((host) => `${scheme}${credentials}${host}${single}`);
}

/** host:port of a single-host URL, for messages (no credentials). */
export function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** The user a URL logs in as, for advice that names the role to change. */
export function roleOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(splitHosts(url)[0] ?? url).username) || undefined;
  } catch {
    return undefined;
  }
}

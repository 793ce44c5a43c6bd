import { OPTIONS } from './options.js';
import { splitHosts } from './postgres-url.js';
import type { RelayConfig } from './relay-config.js';

/**
 * What is a secret, and how every output scrubs it: the logs, the CLI's stdout and stderr, and the
 * HTTP server's answers all go through this module. Two layers:
 * - the forms a secret takes in text, scrubbed wherever they appear: a URL's user info (one host or
 *   several) and a parameter named like a password (`?password=`, `sslpassword=`, libpq's
 *   `password='…'`, `PGPASSWORD=`);
 * - the configured secret values themselves, in every encoding an output could print them in
 *   (raw, percent-encoded, form-encoded, JSON-escaped, base64), for what the first layer cannot
 *   recognize: a password quoted in a driver's message, a URL inside an escaped JSON string.
 */

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * A parameter or a key whose name ends so holds a secret: libpq's password, sslpassword and
 * oauth_client_secret (PostgreSQL 18), PGPASSWORD, a TLS passphrase, an access token, the relay's
 * own kafkaSaslPassword. passfile, sslkey and sslcert name files: those paths are shown.
 */
const SECRET_NAME_ENDING = '(?:password|passwd|passphrase|secret|token)';
const SECRET_NAME = new RegExp(`${SECRET_NAME_ENDING}$`, 'i');

/**
 * Keys of logged objects that hold secrets without saying so in their name (a whole connection
 * string; clients' TLS and SASL options, with key material), and the usual named ones. pino's own
 * redaction, one level deep, takes this list; `isSecretKey` adds every secret name at any depth.
 */
export const SECRET_KEYS: readonly string[] = [
  'databaseUrl',
  'connectionString',
  'sasl',
  'ssl',
  'authorization',
  'password',
  'sslpassword',
  'passphrase',
  ...OPTIONS.filter((spec) => spec.secret === 'value').map((spec) => spec.key),
];
const SECRET_KEY_SET = new Set(SECRET_KEYS);

export function isSecretKey(key: string): boolean {
  return SECRET_KEY_SET.has(key) || SECRET_NAME.test(key);
}

/**
 * `scheme://user:password@`: the password runs to the authority's last @ (an unencoded @ in it,
 * several hosts after it). It never spans a quote or a backslash, so that a scrub of a serialized
 * JSON line cannot eat across two strings.
 */
const PASSWORD_IN_URL = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"\\]*:)[^\s/?#"\\]*@/gi;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `name=value` or libpq's `name = 'quoted value'`, where the name is a secret's; not a value
 * already redacted, whose next character (the ':' after a URL in a message) must stay.
 */
const SECRET_PARAMETER = new RegExp(
  `(^|[^a-z0-9_.-])([a-z0-9_.-]*${SECRET_NAME_ENDING})(\\s*=\\s*)(?!${escapeRegExp(REDACTED)})('(?:[^'\\\\]|\\\\.)*'|[^\\s&#"'\\\\]+)`,
  'gi',
);

/** The first layer: secrets in the forms text carries them in (URL user info, password parameters). */
export function scrubSecrets(text: string): string {
  return text
    .replace(PASSWORD_IN_URL, `$1${REDACTED}@`)
    .replace(SECRET_PARAMETER, (_match, before: string, name: string, equals: string) => {
      return `${before}${name}${equals}${REDACTED}`;
    });
}

/** Secret values shorter than this are not searched for: they would censor ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * Both layers: the returned function scrubs the forms above and each of `values` (see
 * secretValues) in every encoding, longest first. The values go first, so that a value the
 * first layer would cut short (a quoted password with a space) is taken whole.
 */
export function secretScrubber(values: readonly string[]): (text: string) => string {
  const needles = [
    ...new Set(values.filter((value) => value.length >= MIN_SECRET_LENGTH).flatMap(printedForms)),
  ].sort((a, b) => b.length - a.length);
  return (text) => {
    let clean = text;
    for (const needle of needles) if (clean.includes(needle)) clean = clean.split(needle).join(REDACTED);
    return scrubSecrets(clean);
  };
}

/** Every way an output could print a value. */
function printedForms(value: string): string[] {
  return [
    value,
    encodeURIComponent(value),
    new URLSearchParams([['', value]]).toString().slice(1),
    JSON.stringify(value).slice(1, -1),
    Buffer.from(value).toString('base64'),
  ];
}

/**
 * The secret values of a configuration, or of the settings in an environment before one is loaded
 * (environmentSettings), and PGPASSWORD, which node-postgres uses when a URL carries no password.
 */
export function secretValues(settings: Partial<RelayConfig>, env: NodeJS.ProcessEnv = process.env): string[] {
  const values: string[] = [];
  for (const spec of OPTIONS) {
    const value = settings[spec.key];
    if (typeof value !== 'string' || value === '') continue;
    if (spec.secret === 'value') values.push(value);
    if (spec.secret === 'credentials-in-url') values.push(...credentialsIn(value));
  }
  if (settings.schemaRegistryUsername && settings.schemaRegistryPassword) {
    values.push(basicAuth(settings.schemaRegistryUsername, settings.schemaRegistryPassword));
  }
  if (env.PGPASSWORD) values.push(env.PGPASSWORD);
  return [...new Set(values)];
}

/** The settings an environment gives, unparsed: for scrubbing before (or when) the configuration fails to load. */
export function environmentSettings(env: NodeJS.ProcessEnv): Partial<RelayConfig> {
  return Object.fromEntries(
    OPTIONS.flatMap((spec) => (env[spec.env] === undefined ? [] : [[spec.key, env[spec.env]]])),
  ) as Partial<RelayConfig>;
}

/**
 * A URL's secrets as written and decoded: the user info's password (and its basic-auth header),
 * and the values of password-like query parameters. Several hosts share one user info and query.
 */
function credentialsIn(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(splitHosts(url)[0] ?? url);
  } catch {
    return [];
  }
  const values: string[] = [];
  if (parsed.password) {
    const password = decoded(parsed.password);
    values.push(parsed.password, password, basicAuth(decoded(parsed.username), password));
  }
  for (const pair of parsed.search.slice(1).split('&')) {
    const [name = '', raw = ''] = pair.split(/=(.*)/s);
    if (raw !== '' && SECRET_NAME.test(decoded(name))) values.push(raw, decoded(raw.replaceAll('+', ' ')));
  }
  return values;
}

/** HTTP basic auth's credentials, as its header carries them: how the schema registry's travel. */
function basicAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`).toString('base64');
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The configuration as it may be logged: secret settings censored, the rest scrubbed (URLs keep their hosts). */
export function redactConfig(config: RelayConfig): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const spec of OPTIONS) {
    const value = copy[spec.key];
    if (spec.secret === 'value') {
      if (value) copy[spec.key] = REDACTED;
    } else if (typeof value === 'string') {
      copy[spec.key] = scrubSecrets(value);
    }
  }
  return copy;
}

import { createHash, X509Certificate } from 'node:crypto';
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

/**
 * How the platform client reaches the platform (docs/platform-api.md, "Transport"): `https://`, or
 * `http://` only to a loopback host (a simulator on the same machine) or with an explicit
 * `allowInsecureHttp`, which health and `xinyi doctor` report. Over https, an optional CA bundle
 * replaces the system roots, and optional SPKI SHA-256 pins name the keys the platform may present.
 */

/** How a platform URL is reached, as health and doctor report it. */
export type PlatformTransportKind = 'https' | 'loopback-http' | 'insecure-http';

/**
 * True for `localhost`, 127.0.0.0/8 and `::1` (with or without brackets). Not for other names under
 * `.localhost`: RFC 6761 asks resolvers to keep them on loopback, but a resolver may send them to DNS.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** `https`, `loopback-http` or `insecure-http` for an http(s) URL; undefined for anything else. */
export function platformTransportKind(baseUrl: string): PlatformTransportKind | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  if (url.protocol === 'https:') return 'https';
  if (url.protocol !== 'http:') return undefined;
  return isLoopbackHost(url.hostname) ? 'loopback-http' : 'insecure-http';
}

/**
 * Why `baseUrl` may not be used, or undefined when it may: not an absolute http(s) URL, or plain
 * http to a host beyond loopback without `allowInsecureHttp`.
 */
export function platformUrlProblem(baseUrl: unknown, allowInsecureHttp: boolean): string | undefined {
  const kind = typeof baseUrl === 'string' ? platformTransportKind(baseUrl) : undefined;
  if (kind === undefined) return 'must be an absolute https:// URL';
  if (kind === 'insecure-http' && !allowInsecureHttp) {
    return 'must be https:// (http:// is accepted only for a loopback host, or with allowInsecureHttp: true)';
  }
  return undefined;
}

/** Base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo (DER): the form of an SPKI pin. */
export function spkiSha256(certificateDer: Uint8Array): string {
  const spki = new X509Certificate(certificateDer).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

const PIN_PATTERN = /^[A-Za-z0-9+/]{43}=$/;

/** True for the base64 text of 32 bytes (an SPKI SHA-256 pin). */
export function isSpkiPin(value: unknown): value is string {
  return typeof value === 'string' && PIN_PATTERN.test(value);
}

export interface PlatformTlsOptions {
  /** PEM certificates trusted instead of the system roots (a city's own CA). */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** SPKI SHA-256 pins (base64): the platform's certificate chain must hold one of these keys. */
  spkiSha256Pins?: readonly string[];
}

/** The error a pin mismatch fails the TLS connection with (`code` `ERR_XINYI_SPKI_PIN_MISMATCH`). */
export const SPKI_PIN_MISMATCH = 'ERR_XINYI_SPKI_PIN_MISMATCH';

function chainOf(cert: PeerCertificate): PeerCertificate[] {
  const chain: PeerCertificate[] = [];
  let current: PeerCertificate | undefined = cert;
  while (current?.raw && !chain.includes(current)) {
    chain.push(current);
    const issuer: PeerCertificate | undefined = (current as { issuerCertificate?: PeerCertificate })
      .issuerCertificate;
    current = issuer === current ? undefined : issuer;
  }
  return chain;
}

/**
 * The https agent (keep-alive) of the platform client: the CA bundle (else the system roots) and the
 * SPKI pins. The pin check runs after Node's own certificate and host-name checks, on every new
 * connection. `rejectUnauthorized` is set, not left to its default: that default follows
 * `NODE_TLS_REJECT_UNAUTHORIZED`, and with `=0` in the environment Node would neither check the
 * certificate nor tear the connection down on a pin mismatch.
 */
export function createPlatformHttpsAgent(options: PlatformTlsOptions): HttpsAgent {
  const pins = options.spkiSha256Pins === undefined ? undefined : new Set(options.spkiSha256Pins);
  return new HttpsAgent({
    keepAlive: true,
    rejectUnauthorized: true,
    ...(options.ca === undefined ? {} : { ca: options.ca as string | Buffer | (string | Buffer)[] }),
    checkServerIdentity: (host, cert) => {
      const identity = checkServerIdentity(host, cert);
      if (identity !== undefined || pins === undefined) return identity;
      if (chainOf(cert).some((c) => pins.has(spkiSha256(c.raw)))) return undefined;
      return Object.assign(new Error('the platform presented no key matching the SPKI pins'), {
        code: SPKI_PIN_MISMATCH,
      });
    },
  });
}

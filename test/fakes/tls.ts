import { generate } from 'selfsigned';

export interface TestCertificate {
  key: string;
  cert: string;
  /** The certificate to trust: it is self-signed, so it is its own CA. */
  ca: string;
}

let cached: Promise<TestCertificate> | undefined;

/**
 * A self-signed certificate for 127.0.0.1 / localhost, made at test time (never committed) and
 * shared by every fake in the process. Clients trust it through `tlsOptions.ca` or NODE_EXTRA_CA_CERTS.
 */
export function testCertificate(): Promise<TestCertificate> {
  cached ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + 24 * 60 * 60 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  }).then((pems) => ({ key: pems.private, cert: pems.cert, ca: pems.cert }));
  return cached;
}

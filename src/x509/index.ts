/** Certificates and trust: the public surface of src/x509. */
export * from './der.js';
export * from './pem.js';
export * from './keys.js';
export { OID } from './oids.js';
export * from './name.js';
export * from './cert-extensions.js';
export * from './certificate.js';
export * from './chain.js';
export * from './hostname.js';
export * from './default-verifier.js';
export type { CertificateVerifier, VerifyContext, VerifyResult } from './verifier.js';

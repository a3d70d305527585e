/** The NIST P-curves as node:crypto names them (ECDH, JWK), for key exchange and ECDSA keys. */
import type { EcCurve } from '../provider.js';

export interface CurveInfo {
  readonly name: string;
  /** OpenSSL's curve name (createECDH). */
  readonly ossl: string;
  readonly jwk: EcCurve;
  /** Field element / scalar size in bytes. */
  readonly size: number;
  /** Bit length of the group order. */
  readonly orderBits: number;
  readonly order: bigint;
}

export const P256: CurveInfo = {
  name: 'secp256r1',
  ossl: 'prime256v1',
  jwk: 'P-256',
  size: 32,
  orderBits: 256,
  order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
};
export const P384: CurveInfo = {
  name: 'secp384r1',
  ossl: 'secp384r1',
  jwk: 'P-384',
  size: 48,
  orderBits: 384,
  order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};
export const P521: CurveInfo = {
  name: 'secp521r1',
  ossl: 'secp521r1',
  jwk: 'P-521',
  size: 66,
  orderBits: 521,
  order:
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};

const CURVES: Record<EcCurve, CurveInfo> = { 'P-256': P256, 'P-384': P384, 'P-521': P521 };

export function curveOf(name: unknown): CurveInfo | undefined {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(CURVES, name) ? CURVES[name as EcCurve] : undefined;
}

export * from './provider.js';
export { nobleProvider, systemRandom, type NobleProviderOptions } from './noble.js';
export { deterministicRandom, scriptedRandom, testProvider } from './random.js';
export { createHash, digest, hmac, hkdfExtract, hkdfExpand } from './hash.js';
export { createAead } from './aead.js';
export { keyExchange, SUPPORTED_GROUPS } from './kx.js';
export { ffdhePrime, FFDHE_EXPONENT_BITS, FFDHE_GENERATOR, type FfdheGroupName } from './ffdhe.js';
export { sign, verify } from './signature.js';
export { bigIntToBytes, bytesToBigInt, modInverse, modPow, rsaModulusLength } from './rsa.js';

import { suiteInfo, type SuiteInfo } from '../crypto/suites.js';
import type { HandshakeConfig } from './config.js';

/**
 * The server's suite among those both sides offer (`offered` in the client's
 * order) that `usable` accepts: with an AEAD speed order (aeadPreference
 * 'speed'), the first AEAD of that order the common suites have; among
 * suites with it, and without a speed order, the first by the order rule
 * (ours with honorCipherOrder, else the client's). undefined when none.
 */
export function chooseCommonSuite(
  config: Pick<HandshakeConfig, 'cipherSuites' | 'honorCipherOrder' | 'aeadSpeedOrder'>,
  offered: readonly number[],
  usable: (suite: SuiteInfo) => boolean,
): SuiteInfo | undefined {
  const ours = config.cipherSuites;
  const [first, second] = config.honorCipherOrder ? [ours, offered] : [offered, ours];
  const common: SuiteInfo[] = [];
  for (const id of first) {
    const suite = second.includes(id) ? suiteInfo(id) : undefined;
    if (suite && usable(suite)) common.push(suite);
  }
  for (const aead of config.aeadSpeedOrder ?? []) {
    const fastest = common.find((s) => s.aead === aead);
    if (fastest) return fastest;
  }
  return common[0];
}

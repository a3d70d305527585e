/** Every transcript scenario, by name: the recorder records them, the replay test finds each file's here. */
import type { Scenario } from './kit.js';
import { ALERTS } from './scenarios/alerts.js';
import { CORE13 } from './scenarios/core13.js';
import { GNUTLS } from './scenarios/gnutls.js';
import { NODE } from './scenarios/node.js';
import { TAMPERED } from './scenarios/tampered.js';
import { TLS12 } from './scenarios/tls12.js';
import { TLS13 } from './scenarios/tls13.js';

export const SCENARIOS: readonly Scenario[] = [...CORE13, ...TLS13, ...TLS12, ...GNUTLS, ...NODE, ...TAMPERED, ...ALERTS];

export function scenarioNamed(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

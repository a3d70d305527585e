/** TLS 1.3 scenarios, both roles (see kit.ts for the building blocks). */
import type { Scenario } from '../kit.js';

export const TLS13: readonly Scenario[] = [];

/** TLS 1.2 scenarios, both roles (see kit.ts for the building blocks). */
import type { Scenario } from '../kit.js';

export const TLS12: readonly Scenario[] = [];

import { it } from 'vitest';
import { goTestFiles, replay } from './go-support.js';
it('debug', () => {
  for (const f of goTestFiles()) {
    try {
      const r = replay(f);
      console.log(f, JSON.stringify({ ...r, handshakes: r.handshakes.map((h) => [h.suite, h.group, h.helloRetryRequest, h.extendedMasterSecret, h.goShareReproduced, h.resumed, h.clientFinishedVerified, h.serverFinishedVerified].join()), messages: r.messages.map((m) => `${m.from[0]}${m.type}${m.encrypted ? 'e' : ''}`).join(' ') }));
    } catch (e) {
      console.log(f, 'ERROR', (e as Error).message.slice(0, 300));
    }
  }
});

import { AlertDescription, TlsError } from '../common/errors.js';
import type { TlsLimits } from '../handshake/config.js';

type Counted = 'empty' | 'warnings' | 'ccs' | 'keyUpdates' | 'tickets';

const LIMIT: Record<Counted, keyof TlsLimits> = {
  empty: 'maxEmptyRecords',
  warnings: 'maxWarningAlerts',
  ccs: 'maxChangeCipherSpecs',
  keyUpdates: 'maxKeyUpdates',
  tickets: 'maxTickets',
};

const WHAT: Record<Counted, string> = {
  empty: 'empty records',
  warnings: 'warning alerts',
  ccs: 'ChangeCipherSpec records',
  keyUpdates: 'KeyUpdates',
  tickets: 'NewSessionTickets',
};

/**
 * Counts what a peer may repeat without sending application data (empty
 * records, warning alerts, KeyUpdates, tickets) and the compat CCS records of
 * one handshake, and fails past the configured limit with unexpected_message
 * and ERR_TLS_TOO_MANY, so a peer cannot keep us busy for free.
 */
export class PeerLimits implements Record<Counted, number> {
  // The counts, as fields (no object of their own per connection).
  empty = 0;
  warnings = 0;
  ccs = 0;
  keyUpdates = 0;
  tickets = 0;

  constructor(private readonly limits: TlsLimits) {}

  /** One more of `what`; throws past its limit. */
  count(what: Counted): void {
    const max = this.limits[LIMIT[what]] as number;
    if (++this[what] > max) {
      throw new TlsError('ERR_TLS_TOO_MANY', AlertDescription.unexpected_message, `too many ${WHAT[what]} without application data`);
    }
  }

  /** Application data arrived: the repeat counters start again (not the per-handshake CCS count). */
  applicationData(): void {
    this.empty = this.warnings = this.keyUpdates = this.tickets = 0;
  }
}

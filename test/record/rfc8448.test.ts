/**
 * RFC 8448 §3 (Simple 1-RTT Handshake) known answers for TLS 1.3 record
 * protection, TLS_AES_128_GCM_SHA256: the traffic secrets are copied here,
 * payloads and complete records are read by test/helpers/rfc8448.ts.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/common/bytes.js';
import { ContentType } from '../../src/common/constants.js';
import { suiteByName } from '../../src/crypto/suites.js';
import { RecordDeframer } from '../../src/record/deframer.js';
import { ReceiveProtection, SendProtection } from '../../src/record/protection.js';
import { recordTestProviders } from '../helpers/node-aead-provider.js';
import { rfc8448 } from '../helpers/rfc8448.js';

// Traffic secrets of §3 (the PRK lines of "derive ... traffic keys", the "expanded" of "tls13 c/s ap traffic").
const S_HS_TRAFFIC = 'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38';
const C_HS_TRAFFIC = 'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21';
const S_AP_TRAFFIC = 'a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643';
const C_AP_TRAFFIC = '9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5';

const v = (label: string, occurrence = 0): string => toHex(rfc8448(3, label, occurrence));
const S_HS_RECORD_PAYLOAD = v('payload (657 octets)');
const S_HS_RECORD = v('complete record (679 octets)');
const C_FINISHED_PAYLOAD = v('payload (36 octets)');
const C_FINISHED_RECORD = v('complete record (58 octets)');
const S_NST_PAYLOAD = v('payload (205 octets)');
const S_NST_RECORD = v('complete record (227 octets)');
const C_APP_RECORD = v('complete record (72 octets)', 0);
const S_APP_RECORD = v('complete record (72 octets)', 1);
const C_ALERT_RECORD = v('complete record (24 octets)', 0);
const S_ALERT_RECORD = v('complete record (24 octets)', 1);

const PROVIDERS = await recordTestProviders();
const suite = suiteByName('TLS_AES_128_GCM_SHA256')!;
/** The application data payload of §3: 00 01 .. 31. */
const APP_PAYLOAD = Uint8Array.from({ length: 50 }, (_, i) => i);
const CLOSE_NOTIFY = Uint8Array.of(1, 0);

it('RFC 8448 §3 application payloads are 00..31 and close_notify', () => {
  expect(rfc8448(3, 'payload (50 octets)', 0)).toEqual(APP_PAYLOAD);
  expect(rfc8448(3, 'payload (50 octets)', 1)).toEqual(APP_PAYLOAD);
  expect(rfc8448(3, 'payload (2 octets)', 0)).toEqual(CLOSE_NOTIFY);
});

/** Records sent in order under one traffic secret, starting at sequence 0. */
const FLIGHTS = [
  {
    name: 'server handshake flight (EE..Finished)',
    secret: S_HS_TRAFFIC,
    records: [[ContentType.handshake, S_HS_RECORD_PAYLOAD, S_HS_RECORD]],
  },
  {
    name: 'client Finished',
    secret: C_HS_TRAFFIC,
    records: [[ContentType.handshake, C_FINISHED_PAYLOAD, C_FINISHED_RECORD]],
  },
  {
    name: 'server application traffic (NewSessionTicket, data, close_notify)',
    secret: S_AP_TRAFFIC,
    records: [
      [ContentType.handshake, S_NST_PAYLOAD, S_NST_RECORD],
      [ContentType.application_data, APP_PAYLOAD, S_APP_RECORD],
      [ContentType.alert, CLOSE_NOTIFY, S_ALERT_RECORD],
    ],
  },
  {
    name: 'client application traffic (data, close_notify)',
    secret: C_AP_TRAFFIC,
    records: [
      [ContentType.application_data, APP_PAYLOAD, C_APP_RECORD],
      [ContentType.alert, CLOSE_NOTIFY, C_ALERT_RECORD],
    ],
  },
] as const;

const bytes = (x: string | Uint8Array): Uint8Array => (typeof x === 'string' ? fromHex(x) : x);

const CASES = PROVIDERS.flatMap(([pname, p]) => FLIGHTS.map((f) => [`${f.name}, ${pname}`, f, p] as const));

describe.each(CASES)('RFC 8448 §3: %s', (_name, flight, provider) => {
  it('seals to the RFC records', () => {
    const tx = SendProtection.tls13(provider, suite, fromHex(flight.secret));
    for (const [type, payload, record] of flight.records) {
      expect(toHex(tx.seal(type, bytes(payload)))).toBe(record);
    }
  });

  it('opens the RFC records', () => {
    const rx = ReceiveProtection.tls13(provider, suite, fromHex(flight.secret));
    const d = new RecordDeframer();
    for (const [, , record] of flight.records) d.push(fromHex(record));
    for (const [type, payload] of flight.records) {
      const out = rx.open(d.next()!);
      expect(out.type).toBe(type);
      expect(toHex(out.data)).toBe(toHex(bytes(payload)));
    }
    expect(d.next()).toBeNull();
  });
});

import { KafkaJSConnectionError, KafkaJSProtocolError as KafkaJSProtocol } from 'kafkajs';
import { BusErrorCode } from './bus.exception';
import { toBusError } from './kafka-errors';

// The optional librdkafka client's own error classes, as it raises them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rd = require('@confluentinc/kafka-javascript') as { KafkaJS: Record<string, new (m: string, p: { code: number; retriable?: boolean }) => Error> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const codes = (require('@confluentinc/kafka-javascript/lib/error') as { codes: Record<string, number> }).codes;

describe('toBusError', () => {
  it('kafkajs: connection errors are retriable, protocol errors by type', () => {
    expect(toBusError(new KafkaJSConnectionError('refused'), 'produce').code).toBe(BusErrorCode.BrokerUnavailable);
    expect(toBusError(new KafkaJSProtocol({ type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false, message: 'big' } as unknown as Error), 'produce').code).toBe(BusErrorCode.MessageTooLarge);
  });

  it('@confluentinc/kafka-javascript: timeouts and transport errors are retried, the rest classified by librdkafka code', () => {
    const { KafkaJSError, KafkaJSProtocolError, KafkaJSTimeout } = rd.KafkaJS;
    expect(toBusError(new KafkaJSError('timed out', { code: codes.ERR__MSG_TIMED_OUT }), 'produce').code).toBe(BusErrorCode.BrokerUnavailable);
    expect(toBusError(new KafkaJSError('down', { code: codes.ERR__TRANSPORT }), 'produce').code).toBe(BusErrorCode.BrokerUnavailable);
    expect(toBusError(new KafkaJSTimeout('slow', { code: codes.ERR__TIMED_OUT }), 'produce').code).toBe(BusErrorCode.BrokerUnavailable);
    expect(toBusError(new KafkaJSProtocolError('leader moved', { code: codes.ERR_NOT_LEADER_FOR_PARTITION }), 'produce').code).toBe(BusErrorCode.BrokerUnavailable);
    expect(toBusError(new KafkaJSError('flagged', { code: codes.ERR_UNKNOWN, retriable: true }), 'produce').code).toBe(BusErrorCode.BrokerUnavailable);
    expect(toBusError(new KafkaJSProtocolError('big', { code: codes.ERR_MSG_SIZE_TOO_LARGE }), 'produce').code).toBe(BusErrorCode.MessageTooLarge);
    expect(toBusError(new KafkaJSProtocolError('gone', { code: codes.ERR_UNKNOWN_TOPIC_OR_PART }), 'produce').code).toBe(BusErrorCode.TopicNotFound);
    expect(toBusError(new KafkaJSProtocolError('denied', { code: codes.ERR_TOPIC_AUTHORIZATION_FAILED }), 'produce').code).toBe(BusErrorCode.ProduceFailed);
  });
});
